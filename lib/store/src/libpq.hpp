#pragma once
// libpq, opened on first use (see core/shared_library.hpp): a run on SQLite
// never loads it. The functions the PostgreSQL backend calls, without their
// "PQ" prefix: libpq().exec(conn, sql) calls PQexec.
#include <libpq-fe.h>

namespace opskit::store {

#define OPSKIT_LIBPQ_FUNCTIONS(X)                                                                                      \
  X(clear) X(cmdTuples) X(connectdb) X(errorMessage) X(exec) X(execPrepared) X(finish) X(fname) X(ftype)               \
  X(getResult) X(getisnull) X(getlength) X(getvalue) X(nfields) X(ntuples) X(prepare) X(putCopyData) X(putCopyEnd)     \
  X(resultErrorMessage) X(resultStatus) X(sendQuery) X(sendQueryPrepared) X(setNoticeProcessor) X(setSingleRowMode)   \
  X(status)

struct Libpq {
#define OPSKIT_LIBPQ_MEMBER(name) decltype(&::PQ##name) name;
  OPSKIT_LIBPQ_FUNCTIONS(OPSKIT_LIBPQ_MEMBER)
#undef OPSKIT_LIBPQ_MEMBER
};

// Opens libpq.so.5 on the first call (thread-safe); DatabaseError (exit 4)
// naming the library, or the missing function, when it cannot.
const Libpq& libpq();

}  // namespace opskit::store
