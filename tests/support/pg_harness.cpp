#include "pg_harness.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "store/store.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace opskit::test {

namespace {
std::string pg_dir() {
  const char* d = std::getenv("OPSKIT_PG_DIR");
  return d && *d ? d : binary_dir() + "/pgtest";
}
std::string socket_dir() {
  std::ifstream in(pg_dir() + "/env");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("OPSKIT_PG_SOCKET=", 0) == 0) return line.substr(17);
  return {};
}
}  // namespace

std::optional<std::string> pg_unavailable() {
  std::string dir = pg_dir();
  if (fs::exists(dir + "/unavailable")) {
    std::ifstream in(dir + "/unavailable");
    std::string why;
    std::getline(in, why);
    return "PostgreSQL tests skipped: " + why;
  }
  std::string sock = socket_dir();
  if (sock.empty() || !fs::exists(sock + "/.s.PGSQL.5432"))
    return "PostgreSQL tests skipped: no test server is running (run the tests through ctest, whose pg_start fixture starts one)";
  return std::nullopt;
}

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 || url.find('=') != std::string::npos;
}

PgDatabase pg_fresh_database(bool migrate) {
  if (auto why = pg_unavailable()) throw std::runtime_error(*why);
  static std::atomic<int> counter{0};
  std::string sock = socket_dir();
  PgDatabase db;
  db.name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  db.super_url = "host=" + sock + " dbname=postgres user=postgres";
  {
    auto super = store::Database::open(db.super_url);
    super->exec_script("CREATE DATABASE " + db.name + " OWNER opskit_owner");
  }
  db.owner_url = "host=" + sock + " dbname=" + db.name + " user=opskit_owner password=owner-pw";
  db.app_url = "host=" + sock + " dbname=" + db.name + " user=opskit_app password=app-pw";
  if (migrate) {
    auto owner = store::Database::open(db.owner_url);
    owner->migrate();
    owner->grant_app_role("opskit_app");
  }
  return db;
}

std::vector<std::string> backend_urls(bool migrate) {
  std::vector<std::string> urls;
  std::string sqlite = temp_dir("db") + "/test.db";
  if (migrate) store::Database::open(sqlite)->migrate();
  urls.push_back(sqlite);
  if (!pg_unavailable()) urls.push_back(pg_fresh_database(migrate).app_url);
  return urls;
}

}  // namespace opskit::test
