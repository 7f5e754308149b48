// screen: sanctions and AML screening against the official lists.
#include "commands.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("screen", "Sanctions and AML screening of names and transactions against official lists");
  tool.default_config("screen.review", "80");
  tool.default_config("screen.block", "95");
  tool.default_config("screen.max_shrink", "0.2");
  tool.default_config("screen.cache_dir", "");
  tool.default_config("screen.lists", "ofac_sdn,ofac_cons,un,uk,eu");
  tool.default_config("screen.ca_file", "");
  tool.default_config("screen.timeout", "120");
  tool.default_config("screen.attempts", "3");
  tool.default_config("screen.retry_delay", "2");
  screen_cli::register_lists(tool);
  screen_cli::register_screening(tool);
  screen_cli::register_review(tool);
  return tool.main(argc, argv);
}
