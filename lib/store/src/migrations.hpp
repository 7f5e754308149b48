#pragma once
#include <string>
#include <vector>
namespace opskit::store {
struct Migration { int number; const char* name; const char* sql; };
const std::vector<Migration>& embedded_migrations();
}
