// Fuzz target: OFAC legacy CSV (primary, alias, address and comment layouts) and the remarks parser.
#include <cstdint>
#include <map>
#include <sstream>

#include "screen/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<opskit::screen::Entity> out;
  try {
    std::istringstream in(text);
    opskit::screen::parse_ofac_primary(in, "fuzz.csv", out);
  } catch (const opskit::DataError&) {
  }
  std::map<std::string, opskit::screen::Entity*> by_uid;
  for (auto& e : out) by_uid[e.uid] = &e;
  for (auto fn : {opskit::screen::parse_ofac_alt, opskit::screen::parse_ofac_add, opskit::screen::parse_ofac_comments}) {
    try {
      std::istringstream in(text);
      fn(in, "fuzz.csv", by_uid);
    } catch (const opskit::DataError&) {
    }
  }
  opskit::screen::Entity e;
  e.remarks = text;
  opskit::screen::apply_ofac_remarks(e);
  return 0;
}
