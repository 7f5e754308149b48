#pragma once
// Subcommands of scan-endpoint, one group per file:
//   web_cmd.cpp     grade, url, allow add|remove|list, issues list|history
//   device_cmd.cpp  host, telemetry, incidents list|resolve
#include "app/app.hpp"

namespace scan_cli {

void register_web(opskit::app::Tool& tool);
void register_device(opskit::app::Tool& tool);

}  // namespace scan_cli
