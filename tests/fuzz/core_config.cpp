// Fuzz target: the YAML config loader on arbitrary file contents.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string path = "/tmp/opskit-fuzz-config-" + std::to_string(getpid()) + ".yaml";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  opskit::Config c;
  c.set_default("db", "x");
  try {
    c.load_file(path, true);
    for (const auto& [k, v] : c.values()) (void)c.get_list(k);
    (void)c.hash();
  } catch (const opskit::DataError&) {
  } catch (const opskit::Error&) {
  }
  return 0;
}
