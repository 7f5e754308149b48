#pragma once
// libcurl, opened on first use (see core/shared_library.hpp): only a run
// that fetches a list, scans an endpoint or posts a webhook loads it. The
// functions the suite calls, without their "curl_" prefix:
// libcurl().easy_perform(h) calls curl_easy_perform. (Calls through the
// table skip curl's compile-time checks of setopt argument types: pass long
// for numeric options, as curl requires.)
#include <curl/curl.h>

#include "core/shared_library.hpp"

namespace opskit {

#define OPSKIT_LIBCURL_FUNCTIONS(X)                                                                                   \
  X(easy_cleanup) X(easy_getinfo) X(easy_init) X(easy_perform) X(easy_reset) X(easy_setopt) X(easy_strerror)          \
  X(multi_add_handle) X(multi_cleanup) X(multi_info_read) X(multi_init) X(multi_perform) X(multi_poll)                \
  X(multi_remove_handle) X(multi_setopt) X(share_cleanup) X(share_init) X(share_setopt) X(slist_append)               \
  X(slist_free_all)

struct Libcurl {
  static constexpr const char* soname = "libcurl.so.4";
  static constexpr const char* package = "the curl HTTP library, Debian package libcurl4";
  static constexpr ExitCode exit_code = ExitCode::network;
  // Resolves the functions and runs curl_global_init, once per process.
  explicit Libcurl(const SharedLibrary& lib);
#define OPSKIT_LIBCURL_MEMBER(name) decltype(&::curl_##name) name;
  OPSKIT_LIBCURL_FUNCTIONS(OPSKIT_LIBCURL_MEMBER)
#undef OPSKIT_LIBCURL_MEMBER
};

// Opens libcurl.so.4 on the first call; NetworkError (exit 5) naming the
// library, or the missing function, when it cannot.
inline const Libcurl& libcurl() { return library_table<Libcurl>(); }

}  // namespace opskit
