// Fuzz: `curl -sD -` dumps through the header parser and the whole grader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "scan/observatory.hpp"
#include "scan/scanner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  try {
    auto chain = opskit::scan::parse_curl_dump(input, "fuzz", "https://fuzz.test/");
    (void)opskit::scan::grade_recorded(chain, "fuzz", nullptr);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
