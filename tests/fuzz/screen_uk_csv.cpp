// Fuzz target: UK sanctions list CSV.
#include <cstdint>
#include <sstream>

#include "screen/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    opskit::screen::parse_uk_csv(in, "fuzz.csv");
  } catch (const opskit::DataError&) {
  }
  return 0;
}
