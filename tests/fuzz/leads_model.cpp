// Fuzz target: the lead-model file loader (score-leads --model-file, lead_models rows).
// A document either loads or throws opskit::Error; a loaded model must score
// and explain any in-range input without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "leads/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto model = opskit::leads::Model::parse(text, "fuzz.json");
    const auto& inputs = model.encoder.inputs();
    std::vector<uint8_t> codes(inputs.size());
    for (int pass = 0; pass < 3; ++pass) {
      for (size_t i = 0; i < inputs.size(); ++i) {
        int n = inputs[i].codes();
        codes[i] = uint8_t(pass == 0 ? 0 : pass == 1 ? n - 1 : (size > i ? data[i] % n : 0));
      }
      volatile double p = model.probability(codes.data());
      (void)p;
      auto reasons = model.reasons(codes.data(), 3);
      (void)reasons;
    }
  } catch (const opskit::Error&) {
  }
  return 0;
}
