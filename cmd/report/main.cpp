// report: renders what the other tools stored into reports people read.
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  if (auto message = report_cli::unknown_kind_message(argc, argv); !message.empty()) {
    std::cerr << "report: error: " << message << "\n";
    return static_cast<int>(opskit::ExitCode::usage);
  }
  opskit::app::Tool tool("report", "Render reports from the tenant database (screening, kyc, audit, leads, threats, "
                                   "posture, simulation, runs, lineage, summary)");
  report_cli::register_commands(tool);
  return tool.main(argc, argv);
}
