// capture: packet capture and DNS threat detection.
#include "commands.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("capture", "Read live interfaces and pcap/pcapng files, extract DNS and flows, keep a device "
                                    "inventory and score threats with evidence");
  capture_cli::register_run_commands(tool);
  capture_cli::register_admin_commands(tool);
  return tool.main(argc, argv);
}
