// Fuzz target: the CSV reader on arbitrary bytes, with the separator and
// header options taken from the first byte.
#include <cstdint>
#include <sstream>

#include "core/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  opskit::csv::Options o;
  o.separator = (data[0] & 1) ? ';' : ',';
  o.has_header = data[0] & 2;
  o.allow_ragged = data[0] & 4;
  o.trim_trailing_empty = data[0] & 8;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    opskit::csv::Reader r(in, "fuzz", o);
    opskit::csv::Record rec;
    while (r.next(rec))
      for (size_t i = 0; i < rec.size(); ++i) (void)rec[i], (void)rec.where(i);
  } catch (const opskit::DataError&) {
  }
  return 0;
}
