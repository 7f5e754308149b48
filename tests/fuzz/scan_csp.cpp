// Fuzz: CSP parsing; the input is split into policies at newlines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scan/csp.hpp"
#include "scan/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> policies;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); ++i)
    if (i == input.size() || input[i] == '\n') {
      policies.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  try {
    (void)opskit::scan::parse_csp(opskit::scan::split_csp_policies(policies));
    (void)opskit::scan::parse_csp_meta(policies);
  } catch (const opskit::scan::CspError&) {
  }
  (void)opskit::scan::html_http_equiv(input);
  (void)opskit::scan::html_scripts(input);
  return 0;
}
