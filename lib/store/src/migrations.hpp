#pragma once
#include <string>
#include <vector>

#include "store/store.hpp"

namespace opskit::store {

struct Migration {
  int number;
  const char* name;
  const char* sql;
};
// Every lib/store/migrations/NNNN_name.sql, in order (generated at build time).
const std::vector<Migration>& embedded_migrations();
// The SQL of one migration for one backend.
std::string expand_migration(const std::string& sql, Dialect d);
// Tables a migration puts under row-level security.
std::vector<std::string> rls_tables(const std::string& sql);

}  // namespace opskit::store
