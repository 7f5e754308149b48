#pragma once
// libpq, opened on first use (see core/shared_library.hpp): a run on SQLite
// never loads it. The functions the PostgreSQL backend calls, without their
// "PQ" prefix: libpq().exec(conn, sql) calls PQexec.
#include <libpq-fe.h>

#include "core/shared_library.hpp"

namespace opskit::store {

#define OPSKIT_LIBPQ_FUNCTIONS(X, P)                                                                         \
  X(P, clear) X(P, cmdTuples) X(P, connectdb) X(P, errorMessage) X(P, exec) X(P, execPrepared) X(P, finish)  \
  X(P, fname) X(P, ftype) X(P, getResult) X(P, getisnull) X(P, getlength) X(P, getvalue) X(P, nfields)       \
  X(P, ntuples) X(P, prepare) X(P, putCopyData) X(P, putCopyEnd) X(P, resultErrorMessage) X(P, resultStatus) \
  X(P, sendQuery) X(P, sendQueryPrepared) X(P, setNoticeProcessor) X(P, setSingleRowMode) X(P, status)

struct Libpq {
  static constexpr const char* soname = "libpq.so.5";
  static constexpr const char* package = "the PostgreSQL client library, Debian package libpq5";
  static constexpr ExitCode exit_code = ExitCode::database;
  explicit Libpq(const SharedLibrary& lib) { OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBRARY_LOOKUP, PQ) }
  OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBRARY_MEMBER, PQ)
};

// Opens libpq.so.5 on the first call; DatabaseError (exit 4) naming the
// library, or the missing function, when it cannot.
inline const Libpq& libpq() { return library_table<Libpq>(); }

}  // namespace opskit::store
