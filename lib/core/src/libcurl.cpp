#include "core/libcurl.hpp"

namespace opskit {

Libcurl::Libcurl(const SharedLibrary& lib) {
#define OPSKIT_LIBCURL_LOAD(name) name = lib.function<decltype(::curl_##name)>("curl_" #name);
  OPSKIT_LIBCURL_FUNCTIONS(OPSKIT_LIBCURL_LOAD)
#undef OPSKIT_LIBCURL_LOAD
  if (lib.function<decltype(::curl_global_init)>("curl_global_init")(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw NetworkError("cannot initialise libcurl");
}

}  // namespace opskit
