// Fuzz: dpkg status / apt Packages stanzas, Debian version comparison and
// the LZ4 frame decoder (apt's compressed indexes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "scan/packages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  try {
    auto st = opskit::scan::parse_package_stanzas(input, "fuzz");
    for (size_t i = 1; i < st.size(); ++i) {
      int ab = opskit::scan::compare_debian_versions(st[i - 1].version, st[i].version);
      int ba = opskit::scan::compare_debian_versions(st[i].version, st[i - 1].version);
      if ((ab < 0) != (ba > 0)) __builtin_trap();  // the order must be antisymmetric
    }
  } catch (const opskit::DataError&) {
  }
  try {
    (void)opskit::scan::lz4_frame_decode(input, "fuzz", size_t(1) << 24);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
