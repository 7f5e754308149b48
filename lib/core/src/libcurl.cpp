#include "core/libcurl.hpp"

namespace opskit {

Libcurl::Libcurl(const SharedLibrary& lib) {
  OPSKIT_LIBCURL_FUNCTIONS(OPSKIT_LIBRARY_LOOKUP, curl_)
  if (lib.function<decltype(::curl_global_init)>("curl_global_init")(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw NetworkError("cannot initialise libcurl");
}

}  // namespace opskit
