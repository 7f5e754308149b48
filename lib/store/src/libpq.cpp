#include "libpq.hpp"

namespace opskit::store {

Libpq::Libpq(const SharedLibrary& lib) {
#define OPSKIT_LIBPQ_LOAD(name) name = lib.function<decltype(::PQ##name)>("PQ" #name);
  OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBPQ_LOAD)
#undef OPSKIT_LIBPQ_LOAD
}

}  // namespace opskit::store
