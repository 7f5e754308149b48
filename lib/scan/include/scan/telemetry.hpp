#pragma once
// Endpoint telemetry against a learned per-device baseline.
// Events are JSON lines: {"device": "...", "time": ISO-8601, "type":
// "process_start"|"file_change"|"network_connect", "process": ..., "path":
// ..., "destination": "host:port"}. The baseline counts, per device, how
// often each process, path and destination was seen, plus events per minute.
// An event's score (0-100) combines the rarity of each of its features
// (never seen = 1, falling with log(count)/log(total)) and the device's
// event rate over the last minute against its baseline rate:
//   score = 100 * (1 - prod_c (1 - 0.6 * x_c))
// so one unseen feature scores 60, two 84, two plus a burst 94. Events above
// the threshold that follow each other within `burst_gap_s` form one
// incident, keyed by device and first event time (re-ingesting is idempotent).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace opskit::scan {

struct TelemetryEvent {
  std::string device, time, type, process, path, destination;
  int64_t at = 0;     // unix seconds
  std::string key;    // sha256 of the canonical event
  SourceLocation where;
};

// Reads and validates events; bad lines are DataErrors (file:line, field).
std::vector<TelemetryEvent> read_events(const std::string& path);

// feature ("process", "path", "destination", "_meta") -> value -> count, per device.
using DeviceBaseline = std::map<std::string, std::map<std::string, int64_t>>;
using Baselines = std::map<std::string, DeviceBaseline>;

// Counts of a batch, to add to the stored baseline (device -> feature -> value -> count).
Baselines learn(const std::vector<TelemetryEvent>& events);

struct ScoredEvent {
  const TelemetryEvent* event = nullptr;
  double score = 0;
  std::vector<std::string> reasons;  // "unseen process /tmp/x", "rate 20x baseline"
};

std::vector<ScoredEvent> score_events(const std::vector<TelemetryEvent>& events, const Baselines& baseline);

struct Incident {
  std::string key, device, opened_at, last_event_at, summary;
  double max_score = 0;
  std::vector<const ScoredEvent*> events;
};

std::vector<Incident> group_incidents(const std::vector<ScoredEvent>& scored, double threshold, int64_t burst_gap_s = 600);

}  // namespace opskit::scan
