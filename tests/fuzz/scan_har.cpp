// Fuzz: HAR files through the reader and the grader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "scan/scanner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  try {
    auto chain = opskit::scan::parse_har(input, "fuzz.har");
    (void)opskit::scan::grade_recorded(chain, "fuzz.har", nullptr);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
