// Fuzz target: UN consolidated list XML and the EU XML export.
#include <cstdint>
#include <string_view>

#include "screen/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  try {
    opskit::screen::parse_un_xml(xml, "fuzz.xml");
  } catch (const opskit::DataError&) {
  }
  try {
    opskit::screen::parse_eu_xml(xml, "fuzz.xml");
  } catch (const opskit::DataError&) {
  }
  return 0;
}
