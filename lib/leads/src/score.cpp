#include "leads/score.hpp"

#include <cstdio>

namespace opskit::leads {

Scorer::Scorer(const Model& model, int64_t now, int reasons)
    : model_(model), parser_(model.spec, now), reasons_(reasons), codes_(model.encoder.width()), drift_(model.encoder) {}

const ScoredLead& Scorer::score(const RecordSource& src, long row_number) {
  parser_.parse(src, row_number, row_);
  model_.encoder.encode(row_, codes_.data());
  drift_.add(codes_.data());
  out_.id = row_.id;
  out_.target = row_.target;
  out_.time = row_.time;
  out_.probability = model_.probability(codes_.data());
  out_.score = Model::score_of(out_.probability);
  if (reasons_ > 0) model_.reasons(codes_.data(), reasons_, out_.reasons);
  else out_.reasons.clear();
  return out_;
}

std::string reasons_text(const std::vector<Reason>& reasons) {
  std::string s;
  char buf[32];
  for (const auto& r : reasons) {
    if (!s.empty()) s += "; ";
    std::snprintf(buf, sizeof buf, " (%+.2f)", r.contribution);
    s += r.description;
    s += buf;
  }
  return s;
}

}  // namespace opskit::leads
