// Fuzz target: the DGA model file loader (capture --model, capture.model,
// OPSKIT_DGA_MODEL).
// Both formats (the binary file, told by its magic, and the JSON export): a
// document either loads or throws opskit::DataError naming the field; a
// loaded model must score names without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "net/dga.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto model = opskit::net::DgaModel::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.model");
    for (const char* name : {"example.com", "xjw3kq9vz0a.net", "", "a.b.c.d.co.uk"}) {
      volatile double s = model.score(name);
      (void)s;
    }
  } catch (const opskit::DataError&) {
  }
  return 0;
}
