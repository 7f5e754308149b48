#pragma once
// screen's subcommands: each file registers its commands on the shared runner.
#include "app/app.hpp"
#include "screen/matcher.hpp"

namespace screen_cli {

void register_lists(opskit::app::Tool& tool);      // lists update | show | diff
void register_screening(opskit::app::Tool& tool);  // name | batch | rescreen
void register_review(opskit::app::Tool& tool);     // review list | decide, allow add | list | remove

// Thresholds for the context's tenant: screen.tenants.<id>.review/block, else screen.review/block.
opskit::screen::Thresholds thresholds(const opskit::app::Context& ctx);
// --fail-on flagged|blocked|none -> the exit code for a worst status.
int fail_on_code(const std::string& fail_on, opskit::screen::Status worst);
void check_fail_on(const std::string& fail_on);
// Who is acting: --by, else $USER, else "screen".
std::string actor(const std::string& by);

}  // namespace screen_cli
