#include "scan/telemetry.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "core/jsonl.hpp"
#include "core/runtime.hpp"

namespace opskit::scan {
namespace {

std::string field(const nlohmann::json& j, const char* a, const char* b = nullptr) {
  for (const char* k : {a, b}) {
    if (!k) continue;
    auto it = j.find(k);
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> features(const TelemetryEvent& e) {
  std::vector<std::pair<std::string, std::string>> f;
  if (!e.process.empty()) f.emplace_back("process", e.process);
  if (e.type == "file_change" && !e.path.empty()) f.emplace_back("path", e.path);
  if (e.type == "network_connect" && !e.destination.empty()) f.emplace_back("destination", e.destination);
  return f;
}

}  // namespace

std::vector<TelemetryEvent> read_events(const std::string& path) {
  auto reader = jsonl::Reader::open(path);
  std::vector<TelemetryEvent> out;
  nlohmann::json j;
  while (reader->next(j)) {
    if (!j.is_object()) throw DataError(reader->where(), "an event is a JSON object");
    TelemetryEvent e;
    e.where = reader->where();
    e.device = field(j, "device", "device_id");
    e.time = field(j, "time", "at");
    e.type = field(j, "type");
    e.process = field(j, "process");
    e.path = field(j, "path");
    e.destination = field(j, "destination", "dest");
    if (e.device.empty()) throw DataError(reader->where("device"), "missing device id");
    if (!parse_iso8601(e.time, e.at)) throw DataError(reader->where("time"), "missing or bad ISO-8601 time '" + e.time + "'");
    if (e.type != "process_start" && e.type != "file_change" && e.type != "network_connect")
      throw DataError(reader->where("type"), "type must be process_start, file_change or network_connect, not '" + e.type + "'");
    if (e.type == "process_start" && e.process.empty()) throw DataError(reader->where("process"), "process_start without process");
    if (e.type == "file_change" && e.path.empty()) throw DataError(reader->where("path"), "file_change without path");
    if (e.type == "network_connect" && e.destination.empty())
      throw DataError(reader->where("destination"), "network_connect without destination");
    e.time = format_iso8601(e.at);
    e.key = sha256_hex(e.device + "\x1f" + e.time + "\x1f" + e.type + "\x1f" + e.process + "\x1f" + e.path + "\x1f" + e.destination);
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), [](const TelemetryEvent& a, const TelemetryEvent& b) { return a.at < b.at; });
  return out;
}

Baselines learn(const std::vector<TelemetryEvent>& events) {
  Baselines b;
  std::map<std::string, std::pair<int64_t, int64_t>> span;  // device -> first, last
  for (const auto& e : events) {
    auto& d = b[e.device];
    for (auto& [f, v] : features(e)) d[f][v]++;
    d["_meta"]["events"]++;
    auto [it, fresh] = span.emplace(e.device, std::make_pair(e.at, e.at));
    if (!fresh) it->second.second = e.at;
  }
  for (auto& [dev, s] : span) b[dev]["_meta"]["minutes"] += std::max<int64_t>(1, (s.second - s.first + 59) / 60);
  return b;
}

std::vector<ScoredEvent> score_events(const std::vector<TelemetryEvent>& events, const Baselines& baseline) {
  std::vector<ScoredEvent> out;
  std::map<std::string, std::deque<int64_t>> window;  // device -> times in the last 60 s
  for (const auto& e : events) {
    ScoredEvent s;
    s.event = &e;
    double keep = 1.0;
    auto dev = baseline.find(e.device);
    if (dev == baseline.end()) {
      s.score = 50;  // no baseline: unknown, never alarming on its own
      s.reasons.push_back("no baseline for device");
      out.push_back(s);
      continue;
    }
    for (auto& [f, v] : features(e)) {
      auto fit = dev->second.find(f);
      int64_t total = 0, count = 0;
      if (fit != dev->second.end()) {
        for (auto& [k, c] : fit->second) total += c;
        auto vit = fit->second.find(v);
        if (vit != fit->second.end()) count = vit->second;
      }
      double rarity = count == 0 ? 1.0 : total <= 1 ? 0.0 : std::clamp(1.0 - std::log1p(count) / std::log1p(total), 0.0, 1.0);
      if (rarity > 0.5) s.reasons.push_back((count == 0 ? "unseen " : "rare ") + f + " " + v);
      keep *= 1.0 - 0.6 * rarity;
    }
    auto& w = window[e.device];
    w.push_back(e.at);
    while (!w.empty() && w.front() <= e.at - 60) w.pop_front();
    double per_minute = 1.0;
    auto meta = dev->second.find("_meta");
    if (meta != dev->second.end()) {
      int64_t n = meta->second.count("events") ? meta->second.at("events") : 0;
      int64_t m = meta->second.count("minutes") ? meta->second.at("minutes") : 1;
      per_minute = std::max(1.0, static_cast<double>(n) / static_cast<double>(std::max<int64_t>(1, m)));
    }
    double ratio = static_cast<double>(w.size()) / per_minute;
    double rate = ratio <= 1 ? 0.0 : std::clamp(std::log2(ratio) / 4.0, 0.0, 1.0);
    if (rate > 0.25) s.reasons.push_back("rate " + std::to_string(static_cast<int>(ratio)) + "x baseline");
    keep *= 1.0 - 0.6 * rate;
    s.score = std::round(1000.0 * (1.0 - keep)) / 10.0;
    out.push_back(s);
  }
  return out;
}

std::vector<Incident> group_incidents(const std::vector<ScoredEvent>& scored, double threshold, int64_t burst_gap_s) {
  std::vector<Incident> out;
  std::map<std::string, size_t> open;  // device -> index of its current incident
  for (const auto& s : scored) {
    if (s.score <= threshold) continue;
    const auto& e = *s.event;
    auto it = open.find(e.device);
    if (it != open.end()) {
      Incident& inc = out[it->second];
      int64_t last = 0;
      parse_iso8601(inc.last_event_at, last);
      if (e.at - last <= burst_gap_s) {
        inc.events.push_back(&s);
        inc.last_event_at = e.time;
        inc.max_score = std::max(inc.max_score, s.score);
        continue;
      }
    }
    Incident inc;
    inc.device = e.device;
    inc.opened_at = inc.last_event_at = e.time;
    inc.key = e.device + "@" + e.time;
    inc.max_score = s.score;
    inc.events.push_back(&s);
    open[e.device] = out.size();
    out.push_back(inc);
  }
  for (auto& inc : out) {
    inc.summary = std::to_string(inc.events.size()) + " anomalous event" + (inc.events.size() == 1 ? "" : "s") + " on " +
                  inc.device + ", max score " + std::to_string(static_cast<int>(inc.max_score));
    if (!inc.events.front()->reasons.empty()) inc.summary += ": " + inc.events.front()->reasons.front();
  }
  return out;
}

}  // namespace opskit::scan
