// Fuzz target: the JSON-lines reader on arbitrary bytes.
#include <cstdint>
#include <sstream>

#include "core/jsonl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  opskit::jsonl::Reader r(in, "fuzz");
  nlohmann::json v;
  try {
    while (r.next(v)) (void)v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
