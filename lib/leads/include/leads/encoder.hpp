#pragma once
// The feature pipeline: every spec feature becomes one or more encoded
// inputs, each a small integer code per row (uint8):
//   numeric / timestamp: 0 = missing, 1.. = quantile bin of the training data
//   categorical:         0 = missing, 1 = other (rare or unseen), 2.. = level
//                        (levels ordered by training conversion rate, so a
//                        tree can split them as an ordered range)
//   boolean:             0 = missing, 1 = false, 2 = true
//   text keyword:        0 = missing, 1 = absent, 2 = present
// Both models read the same codes: the linear model has one weight per code
// (binned, so a drifting value saturates instead of extrapolating), the trees
// split on code ranges. The code histogram of the training data is kept as
// the drift reference.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "leads/dataset.hpp"

namespace opskit::leads {

enum class InputKind { numeric, categorical, boolean, keyword };

struct EncodedInput {
  std::string name;   // column, or "column:keyword"
  size_t feature = 0; // index into spec.features
  InputKind kind = InputKind::numeric;
  std::string keyword;
  std::vector<double> cuts;          // numeric: bin k+1 holds cuts[k-1] <= v < cuts[k]
  std::vector<std::string> levels;   // categorical: code 2+i
  std::vector<double> reference;     // share of training rows per code (drift)
  std::unordered_map<std::string, uint8_t> index;  // level -> code (built on load)
  std::vector<std::string> descriptions;           // per code (built on load)
  int codes() const;
  // Text for a code, for reasons ("age in [35, 41)", "job = admin.").
  std::string describe(uint8_t code) const;
  const std::string& description(uint8_t code) const { return descriptions[code]; }
};

struct EncoderOptions {
  int numeric_bins = 10;
  bool strict = true;  // constant / all-missing inputs are errors (off inside CV folds)
};

class Encoder {
 public:
  // Fits on the given rows of `data`. With strict, a constant or all-missing
  // feature throws DataError naming the column.
  static Encoder fit(const FeatureSpec& spec, const Dataset& data, const std::vector<size_t>& rows,
                     const EncoderOptions& options);
  size_t width() const { return inputs_.size(); }
  const std::vector<EncodedInput>& inputs() const { return inputs_; }
  // Codes of row r of a data set / of a parsed row; `out` has width() entries.
  void encode(const Dataset& data, size_t r, uint8_t* out) const;
  void encode(const ParsedRow& row, uint8_t* out) const;
  // Whole data set, row-major [row][input].
  std::vector<uint8_t> encode_all(const Dataset& data) const;

  nlohmann::json to_json() const;
  static Encoder from_json(const nlohmann::json& j);

 private:
  uint8_t code(const EncodedInput& in, double num, const std::string& str) const;
  void build_lookups();
  std::vector<EncodedInput> inputs_;
};

}  // namespace opskit::leads
