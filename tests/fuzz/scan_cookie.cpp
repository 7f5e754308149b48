// Fuzz: Set-Cookie parsing and the raw SameSite check.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scan/cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto c = opskit::scan::parse_set_cookie(input);
  if (c) (void)(c->is_session() || c->is_anticsrf());
  (void)opskit::scan::has_invalid_samesite(input);
  return 0;
}
