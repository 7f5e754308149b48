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

#define OPSKIT_LIBCURL_FUNCTIONS(X, P)                                                                        \
  X(P, easy_cleanup) X(P, easy_getinfo) X(P, easy_init) X(P, easy_perform) X(P, easy_reset) X(P, easy_setopt) \
  X(P, easy_strerror) X(P, multi_add_handle) X(P, multi_cleanup) X(P, multi_info_read) X(P, multi_init)       \
  X(P, multi_perform) X(P, multi_poll) X(P, multi_remove_handle) X(P, multi_setopt) X(P, share_cleanup)       \
  X(P, share_init) X(P, share_setopt) X(P, slist_append) X(P, slist_free_all)

struct Libcurl {
  static constexpr const char* soname = "libcurl.so.4";
  static constexpr const char* package = "the curl HTTP library, Debian package libcurl4";
  static constexpr ExitCode exit_code = ExitCode::network;
  // Resolves the functions and runs curl_global_init, once per process.
  explicit Libcurl(const SharedLibrary& lib);
  OPSKIT_LIBCURL_FUNCTIONS(OPSKIT_LIBRARY_MEMBER, curl_)
};

// Opens libcurl.so.4 on the first call; NetworkError (exit 5) naming the
// library, or the missing function, when it cannot.
inline const Libcurl& libcurl() { return library_table<Libcurl>(); }

}  // namespace opskit
