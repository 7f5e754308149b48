#include <cstdlib>

#include "commands.hpp"

namespace screen_cli {

using namespace opskit;

screen::Thresholds thresholds(const app::Context& ctx) {
  screen::Thresholds t;
  std::string tenant = ctx.session ? ctx.session->tenant() : "";
  auto pick = [&](const std::string& key, double fallback) {
    std::string per_tenant = "screen.tenants." + tenant + "." + key;
    if (!tenant.empty() && ctx.config.has(per_tenant)) return ctx.config.get_double(per_tenant, fallback);
    return ctx.config.get_double("screen." + key, fallback);
  };
  t.review = pick("review", 80);
  t.block = pick("block", 95);
  if (t.review <= 0 || t.review > 100 || t.block < t.review || t.block > 100)
    throw DataError("screen thresholds must satisfy 0 < review <= block <= 100 (review " + std::to_string(t.review) +
                    ", block " + std::to_string(t.block) + ")");
  return t;
}

void check_fail_on(const std::string& fail_on) {
  if (fail_on != "none" && fail_on != "flagged" && fail_on != "blocked")
    throw UsageError("--fail-on wants flagged, blocked or none, got '" + fail_on + "'");
}

int fail_on_code(const std::string& fail_on, screen::Status worst) {
  if (fail_on == "flagged" && worst != screen::Status::clear) return static_cast<int>(ExitCode::findings);
  if (fail_on == "blocked" && worst == screen::Status::blocked) return static_cast<int>(ExitCode::findings);
  return 0;
}

std::string actor(const std::string& by) {
  if (!by.empty()) return by;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "screen";
}

}  // namespace screen_cli
