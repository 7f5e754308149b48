// Fuzz target: the graph loader (YAML/JSON) and, when a graph loads, its
// validation and one short simulation. Only DataError may escape the loader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/engine.hpp"
#include "sim/loader.hpp"
#include "sim/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    opskit::sim::Graph g = opskit::sim::load_graph(text, "fuzz.yaml");
    if (g.metrics.size() > 200 || g.edges.size() > 1000) return 0;
    for (const auto& e : g.edges)
      if (e.lag_days > 60) return 0;  // keep one input fast; long lags are covered by the unit tests
    opskit::sim::validate(g);
    opskit::sim::Engine eng(g);
    if (g.metrics.empty()) return 0;
    opskit::sim::SimOptions o;
    o.horizon_days = 10;
    opskit::sim::Intervention iv;
    iv.metric = g.metrics.front().name;
    iv.kind = opskit::sim::Intervention::Kind::delta;
    iv.value = 1;
    eng.run({iv}, o);
  } catch (const opskit::DataError&) {
  } catch (const opskit::UsageError&) {
  }
  return 0;
}
