// score-leads: train a conversion model on past leads, score new leads 0-100 with reasons.
#include "commands.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("score-leads", "Lead scoring: train, evaluate, score with reasons, drift, RFM segments");
  tool.default_config("leads.qualify", "50");
  tool.default_config("leads.drift.moderate", "0.1");
  tool.default_config("leads.drift.major", "0.25");
  tool.default_config("leads.drift.min_rows", "200");
  leads_cli::register_training(tool);  // train | evaluate
  leads_cli::register_scoring(tool);   // import | score
  leads_cli::register_models(tool);    // models list|show|promote | segment
  return tool.main(argc, argv);
}
