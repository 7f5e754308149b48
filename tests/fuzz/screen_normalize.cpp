// Fuzz target: name normalisation (any bytes, any script) and matching against a tiny index.
#include <cstdint>
#include <memory>
#include <string_view>

#include "screen/matcher.hpp"
#include "screen/normalize.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static opskit::screen::Normalizer norm;
  static std::unique_ptr<opskit::screen::Matcher> matcher = [] {
    opskit::screen::Entity e;
    e.list = "ofac_sdn";
    e.uid = "1";
    e.type = opskit::screen::EntityType::individual;
    e.primary_name = "AL-ZARQAWI, Karim Yusuf";
    e.names.push_back({e.primary_name, opskit::screen::NameStrength::primary, "primary"});
    return std::make_unique<opskit::screen::Matcher>(std::vector<opskit::screen::Entity>{e});
  }();
  std::string_view s(reinterpret_cast<const char*>(data), size);
  for (const auto& n : norm.normalize(s))
    for (const auto& t : n.tokens) (void)opskit::screen::phonetic_key(t.text);
  opskit::screen::Query q;
  q.name = std::string(s);
  q.dob = q.name.substr(0, 12);
  q.identifier = q.name.substr(0, 20);
  (void)matcher->match(q);
  return 0;
}
