#pragma once
// A shared library opened at run time by its SONAME, for the client
// libraries that only some runs use. libpq and libcurl each pull in dozens
// of libraries (Kerberos, LDAP, GnuTLS, nghttp2, ...) whose loading and
// relocation cost every run milliseconds when they are linked; opened here,
// only a run that talks to PostgreSQL or HTTP pays for them. The package
// still depends on them (CPACK_DEBIAN_PACKAGE_DEPENDS).
//
// Each such library has one table of typed function pointers, filled from
// here (library_table below); the types come from the library's own header,
// so a call through the table is checked by the compiler as a direct call
// would be.
#include <string>

#include "core/error.hpp"

namespace opskit {

class SharedLibrary {
 public:
  // Opens `soname` (e.g. "libpq.so.5"); `package` names what provides it in
  // the error (e.g. "the PostgreSQL client library, Debian package libpq5").
  // Failures throw Error(code). The library stays loaded until the process
  // ends: the tables filled from it live as long.
  SharedLibrary(std::string soname, std::string package, ExitCode code);

  // The function `name`, as the type F declared for it in the library's
  // header; throws Error(code) naming the library and the symbol.
  template <class F>
  F* function(const char* name) const {
    return reinterpret_cast<F*>(address(name));
  }

 private:
  void* address(const char* name) const;

  void* handle_ = nullptr;
  std::string soname_, package_;
  ExitCode code_;
};

// A table's members and its constructor's lookups come from one list of the
// library's functions, LIST(X, PREFIX) calling X(PREFIX, name) for each:
// LIST(OPSKIT_LIBRARY_MEMBER, PQ) declares `exec` typed as PQexec in the
// library's header, and LIST(OPSKIT_LIBRARY_LOOKUP, PQ), in a constructor
// taking `const SharedLibrary& lib`, looks it up as the symbol "PQexec".
#define OPSKIT_LIBRARY_MEMBER(prefix, name) decltype(&::prefix##name) name;
#define OPSKIT_LIBRARY_LOOKUP(prefix, name) name = lib.function<decltype(::prefix##name)>(#prefix #name);

// The function table T of one library, built on the first call (thread-safe;
// after a failure the next call tries again): T names its library in
// T::soname, T::package and T::exit_code and resolves its functions in its
// constructor from the opened SharedLibrary.
template <class T>
const T& library_table() {
  static const T table{SharedLibrary(T::soname, T::package, T::exit_code)};
  return table;
}

}  // namespace opskit
