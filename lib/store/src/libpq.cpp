#include "libpq.hpp"

#include "core/shared_library.hpp"

namespace opskit::store {

const Libpq& libpq() {
  static const Libpq table = [] {
    SharedLibrary lib("libpq.so.5", "the PostgreSQL client library, Debian package libpq5", ExitCode::database);
    Libpq t;
#define OPSKIT_LIBPQ_LOAD(name) t.name = lib.function<decltype(::PQ##name)>("PQ" #name);
    OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBPQ_LOAD)
#undef OPSKIT_LIBPQ_LOAD
    return t;
  }();
  return table;
}

}  // namespace opskit::store
