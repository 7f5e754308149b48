#pragma once
// libpq, opened on first use (see core/shared_library.hpp): a run on SQLite
// never loads it. The functions the PostgreSQL backend calls, without their
// "PQ" prefix: libpq().exec(conn, sql) calls PQexec.
#include <libpq-fe.h>

#include "core/shared_library.hpp"

namespace opskit::store {

#define OPSKIT_LIBPQ_FUNCTIONS(X)                                                                                      \
  X(clear) X(cmdTuples) X(connectdb) X(errorMessage) X(exec) X(execPrepared) X(finish) X(fname) X(ftype)               \
  X(getResult) X(getisnull) X(getlength) X(getvalue) X(nfields) X(ntuples) X(prepare) X(putCopyData) X(putCopyEnd)     \
  X(resultErrorMessage) X(resultStatus) X(sendQuery) X(sendQueryPrepared) X(setNoticeProcessor) X(setSingleRowMode)   \
  X(status)

struct Libpq {
  static constexpr const char* soname = "libpq.so.5";
  static constexpr const char* package = "the PostgreSQL client library, Debian package libpq5";
  static constexpr ExitCode exit_code = ExitCode::database;
  explicit Libpq(const SharedLibrary& lib);
#define OPSKIT_LIBPQ_MEMBER(name) decltype(&::PQ##name) name;
  OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBPQ_MEMBER)
#undef OPSKIT_LIBPQ_MEMBER
};

// Opens libpq.so.5 on the first call; DatabaseError (exit 4) naming the
// library, or the missing function, when it cannot.
inline const Libpq& libpq() { return library_table<Libpq>(); }

}  // namespace opskit::store
