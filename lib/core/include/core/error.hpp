#pragma once
// One error model for the whole suite. Anything that ends an operation is an
// Error carrying its exit code; the one catch site per executable (app::run)
// prints it as `tool: error: message` and returns the code. Bad records inside
// a batch are not exceptions: they are counted and reported (see on_error).
#include <stdexcept>
#include <string>

namespace opskit {

// Exit codes, the same in every tool (documented in every man page).
enum class ExitCode : int {
  ok = 0,
  findings = 1,   // findings at or above --fail-on
  usage = 2,      // bad flags or arguments
  data = 3,       // bad input data or configuration
  database = 4,   // database error, including an unexpected schema version
  network = 5,    // network or external service error
  locked = 6,     // another run holds the job lock
  internal = 70,  // a bug
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

struct UsageError : Error {
  explicit UsageError(const std::string& m) : Error(ExitCode::usage, m) {}
};
struct DatabaseError : Error {
  explicit DatabaseError(const std::string& m) : Error(ExitCode::database, m) {}
};
struct NetworkError : Error {
  explicit NetworkError(const std::string& m) : Error(ExitCode::network, m) {}
};
struct LockedError : Error {
  explicit LockedError(const std::string& m) : Error(ExitCode::locked, m) {}
};
struct InternalError : Error {
  explicit InternalError(const std::string& m) : Error(ExitCode::internal, m) {}
};

// Where in an input a problem is: file (or "-" for stdin), 1-based line and
// column (0 = unknown), and the field name when known.
struct SourceLocation {
  std::string file;
  long line = 0;
  long column = 0;
  std::string field;
  std::string str() const;  // "file:line:column: field 'x'"
};

// Bad input data or configuration, with where it was found.
class DataError : public Error {
 public:
  DataError(SourceLocation where, const std::string& what);
  explicit DataError(const std::string& what) : Error(ExitCode::data, what) {}
  const SourceLocation& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation where_;
  std::string reason_;
};

}  // namespace opskit
