// The capture domain's SQL, all of it.
#include "net/repository.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/runtime.hpp"

namespace opskit::net {

using store::Params;
using store::Value;

Repository::DnsWriter::DnsWriter(store::Session& s, std::string capture_id, int64_t run_id, int64_t first_seq)
    : capture_id_(std::move(capture_id)), run_id_(run_id), seq_(first_seq) {
  bulk_ = s.bulk({"dns_events",
                  {"capture_id", "seq", "ts", "client", "client_port", "server", "server_port", "proto", "service",
                   "trans_id", "query", "qtype", "qtype_name", "rcode", "rcode_name", "answers", "rtt", "run_id"},
                  {"capture_id", "seq"},
                  {"ts", "client", "client_port", "server", "server_port", "proto", "service", "trans_id", "query",
                   "qtype", "qtype_name", "rcode", "rcode_name", "answers", "rtt", "run_id"}});
}

void Repository::DnsWriter::add(const DnsEvent& e) {
  nlohmann::json answers = e.answers;
  bulk_->add({capture_id_, int64_t(seq_++), iso_time(e.ts_ns), e.client.str(), int64_t(e.client_port), e.server.str(),
              int64_t(e.server_port), std::string(e.proto == proto_tcp ? "tcp" : "udp"),
              std::string(dns_service_name(e.service)), int64_t(e.trans_id), e.query, int64_t(e.qtype),
              dns_type_name(e.qtype), e.rcode >= 0 ? Value(int64_t(e.rcode)) : store::null(),
              e.rcode >= 0 ? Value(dns_rcode_name(static_cast<uint8_t>(e.rcode))) : store::null(), answers.dump(),
              e.rtt_ns >= 0 ? Value(e.rtt_ns / 1e9) : store::null(), run_id_ ? Value(run_id_) : store::null()});
}

std::unique_ptr<Repository::DnsWriter> Repository::dns_writer(const std::string& capture_id, int64_t run_id,
                                                               int64_t first_seq) {
  return std::make_unique<DnsWriter>(s_, capture_id, run_id, first_seq);
}

void Repository::store_alerts(const std::vector<Alert>& alerts, const std::string& capture_id,
                              const std::string& detected_at, int64_t run_id) {
  for (const auto& a : alerts)
    s_.exec("INSERT INTO threat_intelligence (tenant_id, alert_key, threat_type, indicator, src, dst, score, severity, "
            "evidence, status, capture_id, first_seen, last_seen, detected_at, run_id) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13, $14) "
            "ON CONFLICT (tenant_id, capture_id, alert_key) DO UPDATE SET score = excluded.score, "
            "severity = excluded.severity, evidence = excluded.evidence, first_seen = excluded.first_seen, "
            "last_seen = excluded.last_seen, run_id = excluded.run_id",
            {a.key(), a.threat_type, a.indicator, a.src, a.dst, int64_t(a.score), a.severity, a.evidence.dump(),
             capture_id, iso_time(a.first_ns), iso_time(a.last_ns), detected_at,
             run_id ? Value(run_id) : store::null()});
}

void Repository::store_devices(const std::vector<Device>& devices) {
  for (const auto& d : devices) {
    std::set<std::string> ips = d.ips, names = d.hostnames;
    std::string first = iso_time(d.first_ns), last = iso_time(d.last_ns), vendor = d.vendor;
    auto old = s_.query("SELECT ips, hostnames, first_seen, last_seen, vendor FROM network_devices "
                        "WHERE tenant_id = $1 AND mac = $2",
                        {d.mac});
    if (!old.empty()) {
      const auto& r = old[0];
      try {
        for (const auto& v : nlohmann::json::parse(r.text(0))) ips.insert(v.get<std::string>());
        for (const auto& v : nlohmann::json::parse(r.text(1))) names.insert(v.get<std::string>());
      } catch (const std::exception&) {
      }
      if (r.text(2) < first) first = r.text(2);
      if (r.text(3) > last) last = r.text(3);
      if (vendor.empty()) vendor = r.text(4);
    }
    s_.exec("INSERT INTO network_devices (tenant_id, mac, vendor, ips, hostnames, first_seen, last_seen) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, mac) DO UPDATE SET vendor = excluded.vendor, "
            "ips = excluded.ips, hostnames = excluded.hostnames, first_seen = excluded.first_seen, "
            "last_seen = excluded.last_seen",
            {d.mac, vendor, nlohmann::json(ips).dump(), nlohmann::json(names).dump(), first, last});
  }
}

void Repository::store_host_history(const std::map<std::string, uint64_t>& outbound, const std::string& capture_id,
                                    const std::string& first_seen, const std::string& last_seen) {
  for (const auto& [host, bytes] : outbound)
    s_.exec("INSERT INTO net_host_history (tenant_id, host, capture_id, outbound_bytes, first_seen, last_seen) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, host, capture_id) DO UPDATE SET "
            "outbound_bytes = excluded.outbound_bytes, first_seen = excluded.first_seen, last_seen = excluded.last_seen",
            {host, capture_id, int64_t(bytes), first_seen, last_seen});
}

HostHistory Repository::host_history(const std::string& exclude_capture_id) {
  HostHistory h;
  std::map<std::string, std::vector<double>> values;
  s_.for_each("SELECT host, outbound_bytes FROM net_host_history WHERE tenant_id = $1 AND capture_id <> $2 "
              "ORDER BY host, first_seen",
              {exclude_capture_id}, [&](const store::Row& r) { values[r.text(0)].push_back(double(r.integer(1))); });
  for (auto& [host, v] : values) {
    HostHistory::Stats s;
    s.runs = static_cast<int64_t>(v.size());
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    double var = 0;
    for (double x : v) var += (x - s.mean) * (x - s.mean);
    s.stddev = v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) : 0;
    h.hosts[host] = s;
  }
  return h;
}

Indicators Repository::indicators() {
  Indicators ind;
  s_.for_each("SELECT kind, value FROM net_indicators WHERE tenant_id = $1 ORDER BY kind, value", {},
              [&](const store::Row& r) { ind.add(r.text(0), r.text(1)); });
  return ind;
}

size_t Repository::indicator_count() {
  auto v = s_.scalar("SELECT COUNT(*) FROM net_indicators WHERE tenant_id = $1");
  return v && std::holds_alternative<int64_t>(*v) ? static_cast<size_t>(std::get<int64_t>(*v)) : 0;
}

void Repository::add_indicator(const std::string& kind, const std::string& value, const std::string& source,
                               const std::string& at) {
  s_.exec("INSERT INTO net_indicators (tenant_id, kind, value, source, added_at) VALUES ($1, $2, $3, $4, $5) "
          "ON CONFLICT (tenant_id, kind, value) DO UPDATE SET source = excluded.source",
          {kind, value, source, at});
}

void Repository::for_each_indicator(const std::function<void(const std::string&, const std::string&,
                                                              const std::string&, const std::string&)>& fn) {
  s_.for_each("SELECT kind, value, source, added_at FROM net_indicators WHERE tenant_id = $1 ORDER BY kind, value", {},
              [&](const store::Row& r) { fn(r.text(0), r.text(1), r.text(2), r.text(3)); });
}

std::vector<std::pair<std::string, std::string>> Repository::allow_patterns() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : s_.query("SELECT pattern, note FROM net_allowlist WHERE tenant_id = $1 ORDER BY pattern"))
    out.emplace_back(r.text(0), r.text(1));
  return out;
}

AllowList Repository::allowlist() {
  AllowList a;
  for (const auto& [p, note] : allow_patterns()) a.add(p);
  return a;
}

void Repository::allow(const std::string& pattern, const std::string& note, const std::string& at) {
  s_.exec("INSERT INTO net_allowlist (tenant_id, pattern, note, added_at) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (tenant_id, pattern) DO UPDATE SET note = excluded.note",
          {pattern, note, at});
}

bool Repository::disallow(const std::string& pattern) {
  return s_.exec("DELETE FROM net_allowlist WHERE tenant_id = $1 AND pattern = $2", {pattern}) > 0;
}

int64_t Repository::apply_allowlist(const AllowList& allow) {
  std::vector<int64_t> ids;
  s_.for_each("SELECT id, threat_type, indicator, src, dst, evidence FROM threat_intelligence "
              "WHERE tenant_id = $1 AND status = 'open' ORDER BY id",
              {}, [&](const store::Row& r) {
                Alert a;
                a.threat_type = r.text(1);
                a.indicator = r.text(2);
                a.src = r.text(3);
                a.dst = r.text(4);
                try {
                  a.evidence = nlohmann::json::parse(r.text(5));
                } catch (const std::exception&) {
                }
                if (allow.allows(a)) ids.push_back(r.integer(0));
              });
  for (int64_t id : ids)
    s_.exec("UPDATE threat_intelligence SET status = 'allowed' WHERE tenant_id = $1 AND id = $2", {id});
  return static_cast<int64_t>(ids.size());
}

std::vector<StoredAlert> Repository::alerts(int min_score, const std::string& status) {
  std::vector<StoredAlert> out;
  std::string sql =
      "SELECT id, threat_type, indicator, src, dst, score, severity, status, capture_id, first_seen, last_seen, evidence "
      "FROM threat_intelligence WHERE tenant_id = $1 AND score >= $2";
  Params params{int64_t(min_score)};
  if (!status.empty()) {
    sql += " AND status = $3";
    params.push_back(status);
  }
  sql += " ORDER BY score DESC, first_seen, id";
  for (const auto& r : s_.query(sql, params)) {
    StoredAlert a;
    a.id = r.integer(0);
    a.threat_type = r.text(1);
    a.indicator = r.text(2);
    a.src = r.text(3);
    a.dst = r.text(4);
    a.score = static_cast<int>(r.integer(5));
    a.severity = r.text(6);
    a.status = r.text(7);
    a.capture_id = r.text(8);
    a.first_seen = r.text(9);
    a.last_seen = r.text(10);
    a.evidence = r.text(11);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Device> Repository::devices() {
  std::vector<Device> out;
  for (const auto& r : s_.query("SELECT mac, vendor, ips, hostnames, first_seen, last_seen FROM network_devices "
                                "WHERE tenant_id = $1 ORDER BY mac")) {
    Device d;
    d.mac = r.text(0);
    d.vendor = r.text(1);
    try {
      for (const auto& v : nlohmann::json::parse(r.text(2))) d.ips.insert(v.get<std::string>());
      for (const auto& v : nlohmann::json::parse(r.text(3))) d.hostnames.insert(v.get<std::string>());
    } catch (const std::exception&) {
    }
    int64_t t = 0;
    if (parse_iso8601(r.text(4), t)) d.first_ns = t * 1000000000;
    if (parse_iso8601(r.text(5), t)) d.last_ns = t * 1000000000;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace opskit::net
