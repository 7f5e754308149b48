// capture file / capture live: the packet pipeline wired to outputs and the
// tenant database.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "commands.hpp"
#include "core/libcurl.hpp"
#include "core/text.hpp"
#include "net/analyzer.hpp"
#include "net/dga.hpp"
#include "net/repository.hpp"
#include "net/source.hpp"

namespace capture_cli {
namespace app = opskit::app;
namespace net = opskit::net;
using opskit::DataError;
using opskit::UsageError;

namespace {

struct CommonOptions {
  std::string records = "alert,summary";
  std::string log_dir, fail_on, model;
  int threshold = -1;  // -1: config capture.threshold, else 70
  size_t flow_cap = 200000;
};

struct FileOptions {
  CommonOptions common;
  std::vector<std::string> files;
  std::string reader = "auto";
};

struct LiveCmdOptions {
  CommonOptions common;
  std::string interface, filter, write_pcap, rotate = "100M", exec, webhook;
  double duration = 0;
  uint64_t count = 0;
};

void add_common(CLI::App& c, CommonOptions& o) {
  c.add_option("--records", o.records, "Records on stdout, comma-separated: dns, conn, alert, summary, or all (default alert,summary)");
  c.add_option("--log-dir", o.log_dir, "Also write Zeek-style JSON-lines logs dns.log, conn.log, alert.log, summary.log here");
  c.add_option("--threshold", o.threshold, "Lowest score (0-100) reported and stored as an alert (default 70; config capture.threshold)")
      ->check(CLI::Range(0, 100));
  c.add_option("--fail-on", o.fail_on, "Exit 1 when an alert has at least this severity (low, medium, high, critical)")
      ->check(CLI::IsMember({"low", "medium", "high", "critical"}));
  c.add_option("--model", o.model, "DGA model file (default: the shipped lib/net/data/dga_model.bin, or OPSKIT_DGA_MODEL)");
  c.add_option("--flow-cap", o.flow_cap, "Most flows held in memory at once; older ones are reported and evicted (default 200000)")
      ->check(CLI::Range(size_t(16), size_t(100000000)));
}

std::set<std::string> parse_records(const std::string& s) {
  std::set<std::string> out;
  for (auto& part : opskit::text::split(s, ',')) {
    std::string p(opskit::text::trim(part));
    if (p.empty()) continue;
    if (p == "all") {
      out.insert({"dns", "conn", "alert", "summary"});
      continue;
    }
    if (p != "dns" && p != "conn" && p != "alert" && p != "summary")
      throw UsageError("--records: unknown record kind '" + p + "' (dns, conn, alert, summary, all)");
    out.insert(p);
  }
  return out;
}

// Where records go: stdout in the chosen format, and optionally log files.
class Outputs {
 public:
  Outputs(app::Context& ctx, const CommonOptions& o) : ctx_(ctx), kinds_(parse_records(o.records)) {
    if (ctx.format != opskit::Format::json) {
      if (kinds_.count("dns"))
        dns_ = std::make_unique<opskit::RowWriter>(ctx.out, ctx.format, std::vector<std::string>{
            "ts", "id.orig_h", "id.resp_h", "proto", "query", "qtype_name", "rcode_name", "answers"});
      if (kinds_.count("conn"))
        conn_ = std::make_unique<opskit::RowWriter>(ctx.out, ctx.format, std::vector<std::string>{
            "ts", "proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "orig_pkts",
            "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"});
    }
    if (!o.log_dir.empty()) {
      std::filesystem::create_directories(o.log_dir);
      for (const char* k : {"dns", "conn", "alert", "summary"}) {
        files_[k].open(o.log_dir + "/" + k + ".log", std::ios::app);
        if (!files_[k]) throw DataError(opskit::SourceLocation{o.log_dir, 0, 0, "--log-dir"}, "cannot write logs here");
      }
    }
  }
  void record(const std::string& kind, const nlohmann::json& j) {
    if (auto it = files_.find(kind); it != files_.end()) it->second << j.dump() << '\n';
    if (!kinds_.count(kind)) return;
    if (ctx_.format == opskit::Format::json) {
      ctx_.out << j.dump() << '\n';
      return;
    }
    if (kind == "dns" && dns_) {
      nlohmann::json row = j;
      if (j.contains("answers")) {
        std::string joined;
        for (const auto& a : j["answers"]) joined += (joined.empty() ? "" : " ") + a.get<std::string>();
        row["answers"] = joined;
      }
      dns_->row(row);
    } else if (kind == "conn" && conn_) {
      conn_->row(j);
    } else if (kind == "alert") {
      alerts_.push_back(j);
    } else if (kind == "summary") {
      summaries_.push_back(j);
    }
  }
  void finish() {
    if (dns_) dns_->finish();
    if (conn_) conn_->finish();
    if (ctx_.format != opskit::Format::json) {
      if (!alerts_.empty() || (kinds_.count("alert") && ctx_.format == opskit::Format::csv)) {
        opskit::RowWriter w(ctx_.out, ctx_.format, {"severity", "score", "threat_type", "indicator", "src", "dst", "evidence"});
        for (auto a : alerts_) {
          a["evidence"] = a["evidence"].dump();
          w.row(a);
        }
        w.finish();
      }
      for (const auto& s : summaries_) {
        if (ctx_.format == opskit::Format::csv) continue;  // csv carries one table only
        ctx_.out << "capture: " << s.value("file", std::string("-")) << ": " << s["packets"] << " packets, "
                 << s["bytes"] << " bytes, " << s["dns_events"] << " DNS events, " << s["flows"] << " flows, "
                 << s["alerts"] << " alerts";
        std::string w;
        for (auto& [k, v] : s["weirds"].items()) w += (w.empty() ? "" : ", ") + k + "=" + v.dump();
        ctx_.out << "; anomalies: " << (w.empty() ? "none" : w) << "\n";
      }
    }
    for (auto& [k, f] : files_) f.flush();
    ctx_.out.flush();
  }
  bool wants(const std::string& kind) const { return kinds_.count(kind) || files_.count(kind); }

 private:
  app::Context& ctx_;
  std::set<std::string> kinds_;
  std::unique_ptr<opskit::RowWriter> dns_, conn_;
  std::vector<nlohmann::json> alerts_, summaries_;
  std::map<std::string, std::ofstream> files_;
};

net::DgaModel load_model(const std::string& explicit_path, app::Context& ctx) {
  std::string path = explicit_path.empty() ? ctx.config.get("capture.model", "") : explicit_path;
  if (path.empty()) path = net::DgaModel::default_path();
  if (path.empty()) {
    ctx.log.warn("no DGA model found (lib/net/data/dga_model.bin); DGA scoring is off. Train one with `capture model train`.");
    return net::DgaModel();
  }
  return net::DgaModel::load(path);
}

int threshold_of(const CommonOptions& o, app::Context& ctx) {
  if (o.threshold >= 0) return o.threshold;
  long long t = ctx.config.get_int("capture.threshold", 70);
  if (t < 0 || t > 100) throw DataError("capture.threshold must be 0-100");
  return static_cast<int>(t);
}

struct Findings {
  int worst = 0;
  void add(const net::Alert& a, app::Context& ctx) {
    worst = std::max(worst, net::severity_rank(a.severity));
    ctx.findings[a.severity]++;
  }
  int exit_code(const std::string& fail_on) const {
    return !fail_on.empty() && worst >= net::severity_rank(fail_on) ? static_cast<int>(opskit::ExitCode::findings) : 0;
  }
};

void add_counts(app::Context& ctx, const net::Summary& s) {
  ctx.counts["packets"] += static_cast<int64_t>(s.packets);
  ctx.counts["bytes"] += static_cast<int64_t>(s.bytes);
  ctx.counts["dns_events"] += static_cast<int64_t>(s.dns_events);
  ctx.counts["flows"] += static_cast<int64_t>(s.flows);
  ctx.counts["alerts"] += static_cast<int64_t>(s.alerts);
  uint64_t weirds = 0;
  for (auto& [k, v] : s.weirds) weirds += v;
  ctx.counts["anomalies"] += static_cast<int64_t>(weirds);
}

int run_file(FileOptions& o, app::Context& ctx) {
  auto model = load_model(o.common.model, ctx);
  net::Repository repo(ctx.tenant_session());
  net::Indicators indicators = repo.indicators();
  net::AllowList allow = repo.allowlist();
  Outputs out(ctx, o.common);
  Findings findings;
  net::OuiRegistry oui;
  for (const auto& path : o.files) {
    if (!ctx.shard.all() && !ctx.shard.owns(path)) continue;
    std::unique_ptr<net::PacketSource> source =
        o.reader == "libpcap" ? net::open_capture_file_libpcap(path) : net::open_capture_file(path);
    std::string capture_id = net::capture_identity(path);
    if (capture_id.empty()) capture_id = (path == "-" ? "stdin:" : "pipe:" + path + ":") + ctx.clock.now_iso();
    net::HostHistory history = repo.host_history(capture_id);
    net::AnalyzerOptions ao;
    ao.threshold = threshold_of(o.common, ctx);
    ao.flows.max_flows = o.common.flow_cap;
    std::vector<net::Alert> alerts;
    auto analyse = [&] {
      std::unique_ptr<net::Repository::DnsWriter> dns_writer;
      if (!ctx.dry_run) dns_writer = repo.dns_writer(capture_id, ctx.run_id);
      bool want_dns = out.wants("dns"), want_conn = out.wants("conn");
      net::Analyzer::Sinks sinks;
      // No sink when nothing keeps DNS events: the analyzer then only counts them.
      if (dns_writer || want_dns)
        sinks.dns = [&](const net::DnsEvent& e) {
          if (dns_writer) dns_writer->add(e);
          if (want_dns) out.record("dns", net::to_json(e));
        };
      if (want_conn) sinks.conn = [&](const net::Flow& f) { out.record("conn", net::to_json(f)); };
      sinks.alert = [&](const net::Alert& a) { alerts.push_back(a); };
      net::Analyzer analyzer(ao, model.trained() ? &model : nullptr, &indicators, &allow, sinks);
      analyzer.set_lookahead(source->stable());
      opskit::Progress progress("capture " + path, 0, !ctx.quiet);
      net::RawPacket raw;
      uint64_t n = 0;
      while (source->next(raw)) {
        analyzer.add(raw);
        if ((++n & 0xffff) == 0) progress.add(0x10000);
      }
      progress.done();
      analyzer.add_source_weirds(source->weirds());
      analyzer.finish(history);
      // An alert may have been raised early and raised again with a higher score: keep the best.
      std::map<std::string, net::Alert> best;
      for (auto& a : alerts)
        if (!best.count(a.key()) || best[a.key()].score < a.score) best[a.key()] = a;
      alerts.clear();
      for (auto& [k, a] : best) alerts.push_back(a);
      std::sort(alerts.begin(), alerts.end(), [](const net::Alert& a, const net::Alert& b) {
        return a.score != b.score ? a.score > b.score : a.key() < b.key();
      });
      net::Summary s = analyzer.summary();
      for (const auto& a : alerts) {
        out.record("alert", net::to_json(a));
        findings.add(a, ctx);
      }
      nlohmann::json sj = s.to_json();
      sj["file"] = path;
      sj["capture_id"] = capture_id;
      out.record("summary", sj);
      add_counts(ctx, s);
      if (ctx.dry_run) return;
      if (dns_writer) dns_writer->flush();
      auto devices = analyzer.devices();
      oui.load(net::OuiRegistry::default_path(), devices.oui_prefixes());
      repo.store_alerts(alerts, capture_id, ctx.clock.now_iso(), ctx.run_id);
      repo.store_devices(devices.devices(&oui));
      repo.store_host_history(analyzer.detectors().outbound_bytes(), capture_id,
                              s.first_ns ? net::iso_time(s.first_ns) : ctx.clock.now_iso(),
                              s.last_ns ? net::iso_time(s.last_ns) : ctx.clock.now_iso());
      ctx.counts["devices"] += static_cast<int64_t>(devices.size());
    };
    // One file commits whole or not at all.
    if (ctx.dry_run) analyse();
    else ctx.tenant_session().transaction(analyse);
  }
  out.finish();
  return findings.exit_code(o.common.fail_on);
}

// ---- live ----

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

uint64_t parse_size(const std::string& s) {
  if (s.empty()) throw UsageError("--rotate: empty size");
  double mult = 1;
  std::string num = s;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    mult = last == 'K' ? 1e3 : last == 'M' ? 1e6 : 1e9;
    num = s.substr(0, s.size() - 1);
  }
  double v;
  if (!opskit::text::parse_double(num, v) || v <= 0) throw UsageError("--rotate: not a size: '" + s + "' (e.g. 100M)");
  return static_cast<uint64_t>(v * mult);
}

size_t curl_discard(char*, size_t size, size_t n, void*) { return size * n; }

// Fires --exec and --webhook for one alert; the webhook is retried three times.
void fire(const LiveCmdOptions& o, const net::Alert& a, app::Context& ctx) {
  std::string body = net::to_json(a).dump();
  if (!o.exec.empty()) {
    FILE* p = popen(o.exec.c_str(), "w");
    if (!p) ctx.log.warn("--exec: cannot start command");
    else {
      std::fwrite(body.data(), 1, body.size(), p);
      std::fputc('\n', p);
      int rc = pclose(p);
      if (rc != 0) ctx.log.warn("--exec command failed", {{"status", std::to_string(rc)}});
    }
  }
  if (!o.webhook.empty()) {
    const opskit::Libcurl& lib = opskit::libcurl();
    for (int attempt = 0; attempt < 3; ++attempt) {
      CURL* c = lib.easy_init();
      if (!c) break;
      struct curl_slist* headers = lib.slist_append(nullptr, "Content-Type: application/json");
      lib.easy_setopt(c, CURLOPT_URL, o.webhook.c_str());
      lib.easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      lib.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
      lib.easy_setopt(c, CURLOPT_TIMEOUT_MS, 1500L);
      lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_discard);
      CURLcode rc = lib.easy_perform(c);
      long status = 0;
      lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      lib.slist_free_all(headers);
      lib.easy_cleanup(c);
      if (rc == CURLE_OK && status >= 200 && status < 300) return;
      ctx.log.warn("webhook delivery failed", {{"attempt", std::to_string(attempt + 1)},
                                                {"error", rc == CURLE_OK ? "HTTP " + std::to_string(status) : lib.easy_strerror(rc)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
    }
  }
}

int run_live(LiveCmdOptions& o, app::Context& ctx) {
  if (!o.write_pcap.empty() && !std::filesystem::is_directory(o.write_pcap))
    throw UsageError("--write-pcap: not a directory: " + o.write_pcap);
  uint64_t rotate = parse_size(o.rotate);
  if (!o.webhook.empty()) opskit::libcurl();  // a missing libcurl ends the run now, not at the first alert
  net::LiveOptions lo;
  lo.interface = o.interface;
  lo.filter = o.filter;
  net::LiveSource source(lo);  // exit 2 here without CAP_NET_RAW
  auto model = load_model(o.common.model, ctx);
  net::Repository repo(ctx.tenant_session());
  net::Indicators indicators = repo.indicators();
  net::AllowList allow = repo.allowlist();
  std::string capture_id = "live:" + o.interface + ":" + ctx.clock.now_iso();
  net::HostHistory history = repo.host_history(capture_id);
  Outputs out(ctx, o.common);
  Findings findings;
  net::AnalyzerOptions ao;
  ao.threshold = threshold_of(o.common, ctx);
  ao.flows.max_flows = o.common.flow_cap;
  std::vector<net::DnsEvent> dns_batch;
  std::vector<net::Alert> alert_batch;
  net::Analyzer::Sinks sinks;
  sinks.dns = [&](const net::DnsEvent& e) {
    dns_batch.push_back(e);
    if (out.wants("dns")) out.record("dns", net::to_json(e));
  };
  if (out.wants("conn")) sinks.conn = [&](const net::Flow& f) { out.record("conn", net::to_json(f)); };
  sinks.alert = [&](const net::Alert& a) {
    out.record("alert", net::to_json(a));
    findings.add(a, ctx);
    alert_batch.push_back(a);
    fire(o, a, ctx);
  };
  net::Analyzer analyzer(ao, model.trained() ? &model : nullptr, &indicators, &allow, sinks);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<net::PcapWriter> writer;
  int file_index = 0;
  auto start = std::chrono::steady_clock::now();
  auto last_tick = start;
  int64_t dns_seq = 0;
  auto commit = [&] {
    if (ctx.dry_run || (dns_batch.empty() && alert_batch.empty())) return;
    ctx.tenant_session().transaction([&] {
      auto w = repo.dns_writer(capture_id, ctx.run_id, dns_seq);
      for (const auto& e : dns_batch) w->add(e);
      w->flush();
      repo.store_alerts(alert_batch, capture_id, ctx.clock.now_iso(), ctx.run_id);
    });
    dns_seq += static_cast<int64_t>(dns_batch.size());
    dns_batch.clear();
    alert_batch.clear();
  };
  net::RawPacket raw;
  uint64_t n = 0;
  while (!g_stop && source.next(raw)) {
    auto now = std::chrono::steady_clock::now();
    if (raw.data) {
      analyzer.add(raw);
      ++n;
      if (!o.write_pcap.empty()) {
        if (!writer || writer->bytes_written() >= rotate) {
          if (writer) writer->close();
          char name[64];
          std::snprintf(name, sizeof name, "/capture-%04d.pcap", file_index++);
          writer = std::make_unique<net::PcapWriter>(o.write_pcap + name, raw.linktype, true);
        }
        writer->write(raw.ts_ns, raw.data, raw.caplen, raw.wire_len);
      }
    }
    if (now - last_tick >= std::chrono::seconds(1)) {
      last_tick = now;
      analyzer.tick(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count(), history);
      commit();
    }
    if (o.count && n >= o.count) break;
    if (o.duration > 0 && std::chrono::duration<double>(now - start).count() >= o.duration) break;
  }
  analyzer.finish(history);
  commit();
  net::Summary s = analyzer.summary();
  nlohmann::json sj = s.to_json();
  sj["file"] = "live:" + o.interface;
  out.record("summary", sj);
  add_counts(ctx, s);
  if (!ctx.dry_run) {
    ctx.tenant_session().transaction([&] {
      net::OuiRegistry oui;
      oui.load(net::OuiRegistry::default_path(), analyzer.devices().oui_prefixes());
      repo.store_devices(analyzer.devices().devices(&oui));
      repo.store_host_history(analyzer.detectors().outbound_bytes(), capture_id,
                              s.first_ns ? net::iso_time(s.first_ns) : ctx.clock.now_iso(),
                              s.last_ns ? net::iso_time(s.last_ns) : ctx.clock.now_iso());
    });
  }
  out.finish();
  return findings.exit_code(o.common.fail_on);
}

}  // namespace

void register_run_commands(app::Tool& tool) {
  tool.default_config("capture.threshold", "70");
  tool.default_config("capture.model", "");
  auto fo = std::make_shared<FileOptions>();
  tool.add({.path = {"file"}, .help = "Analyse pcap/pcapng files (gzip too): DNS, flows, devices, threats", .needs = app::Needs::tenant, .writes = true},
           [fo](CLI::App& c) {
             c.add_option("files", fo->files, "Capture files (pcap or pcapng, optionally gzip-compressed; - for stdin)")->required();
             c.add_option("--reader", fo->reader, "auto (zero-copy mmap reader) or libpcap")->check(CLI::IsMember({"auto", "mmap", "libpcap"}));
             add_common(c, fo->common);
           },
           [fo](app::Context& ctx) { return run_file(*fo, ctx); });
  auto lo = std::make_shared<LiveCmdOptions>();
  tool.add({.path = {"live"}, .help = "Capture from a live interface (needs CAP_NET_RAW; exit 2 without it)", .needs = app::Needs::tenant, .writes = true},
           [lo](CLI::App& c) {
             c.add_option("-i,--interface", lo->interface, "Interface to capture on")->required();
             c.add_option("--filter", lo->filter, "BPF filter, as for tcpdump");
             c.add_option("--duration", lo->duration, "Stop after this many seconds");
             c.add_option("--count", lo->count, "Stop after this many packets");
             c.add_option("--write-pcap", lo->write_pcap, "Also write the packets to pcap files in this directory");
             c.add_option("--rotate", lo->rotate, "Start a new pcap file after this size (e.g. 100M; default 100M)");
             c.add_option("--exec", lo->exec, "Run this shell command for each alert, with the alert as JSON on stdin");
             c.add_option("--webhook", lo->webhook, "POST each alert as JSON to this URL (3 attempts)");
             add_common(c, lo->common);
           },
           [lo](app::Context& ctx) { return run_live(*lo, ctx); });
}

}  // namespace capture_cli
