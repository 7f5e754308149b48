#pragma once
// The report CLI: one subcommand per kind (`report runs`, `report kyc
// CUSTOMER`, ...) plus `kinds`, `history` and `templates list|check|export`.
#include "app/app.hpp"

namespace report_cli {

void register_commands(opskit::app::Tool& tool);
// When argv names a kind that does not exist, the message listing the known
// kinds (CLI11 alone would only say the argument was not expected); else "".
std::string unknown_kind_message(int argc, char** argv);

}  // namespace report_cli
