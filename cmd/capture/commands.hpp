#pragma once
// capture's subcommands: `file` and `live` (run.cpp); `model`, `indicators`,
// `allow`, `alerts`, `devices` and `example` (admin.cpp).
#include "app/app.hpp"

namespace capture_cli {
void register_run_commands(opskit::app::Tool& tool);
void register_admin_commands(opskit::app::Tool& tool);
}  // namespace capture_cli
