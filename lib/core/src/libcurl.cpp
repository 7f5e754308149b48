#include "core/libcurl.hpp"

#include "core/shared_library.hpp"

namespace opskit {

const Libcurl& libcurl() {
  static const Libcurl table = [] {
    SharedLibrary lib("libcurl.so.4", "the curl HTTP library, Debian package libcurl4", ExitCode::network);
    Libcurl t;
#define OPSKIT_LIBCURL_LOAD(name) t.name = lib.function<decltype(::curl_##name)>("curl_" #name);
    OPSKIT_LIBCURL_FUNCTIONS(OPSKIT_LIBCURL_LOAD)
#undef OPSKIT_LIBCURL_LOAD
    if (lib.function<decltype(::curl_global_init)>("curl_global_init")(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw NetworkError("cannot initialise libcurl");
    return t;
  }();
  return table;
}

}  // namespace opskit
