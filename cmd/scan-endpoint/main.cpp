// scan-endpoint: security posture of web/API endpoints (headers, TLS,
// exposure) and of endpoint devices (host audit, telemetry vs baseline).
#include "commands.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("scan-endpoint",
                         "Security posture of web and API endpoints (Observatory grade, TLS, exposure) and of endpoint "
                         "devices (host audit, telemetry incidents)");
  scan_cli::register_web(tool);
  scan_cli::register_device(tool);
  return tool.main(argc, argv);
}
