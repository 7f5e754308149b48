#include "tools_fixture.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "test_paths.hpp"

namespace report_test {
namespace fs = std::filesystem;
using opskit::test::bin;
using opskit::test::run_command;

namespace {

struct Runner {
  std::string work, error;

  // Runs TOOL ARGS in the work directory at `now`; an exit code outside
  // `ok` records the step, its output and stops the fixture.
  std::string run(const std::string& now, const std::string& tool, const std::string& args, std::set<int> ok = {0}) {
    if (!error.empty()) return {};
    const std::string cmd = "cd '" + work + "' && OPSKIT_DB=tools.db OPSKIT_TENANT=acme OPSKIT_NOW=" + now + " OPSKIT_SEED=42 " +
                            bin(tool) + " --quiet " + args;
    auto r = run_command(cmd);
    if (!ok.count(r.exit_code))
      error = "step `" + tool + " " + args + "` at " + now + " exited " + std::to_string(r.exit_code) + ": " + r.err.substr(0, 2000);
    return r.out;
  }
};

// `preferred` when it is free on loopback, else any free port.
int port_near(int preferred) {
  for (int p : {preferred, 0}) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(p));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      socklen_t len = sizeof a;
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      close(fd);
      return ntohs(a.sin_port);
    }
    close(fd);
  }
  return 0;
}

// A throw-away nginx on 127.0.0.1 with two plain-HTTP sites: one with
// security headers, one without and with an exposed .env file.
struct Nginx {
  std::string dir, error;
  int hardened = 0, open = 0;

  explicit Nginx(const std::string& d) : dir(d) {
    if (access("/usr/sbin/nginx", X_OK) != 0) {
      error = "nginx is not installed (/usr/sbin/nginx)";
      return;
    }
    fs::create_directories(dir + "/www/hardened");
    fs::create_directories(dir + "/www/open");
    std::ofstream(dir + "/www/hardened/index.html") << "<!doctype html><title>shop</title><p>ok\n";
    std::ofstream(dir + "/www/open/index.html") << "<!doctype html><title>blog</title><p>hello\n";
    std::ofstream(dir + "/www/open/.env") << "DB_PASSWORD=fixture-secret-value\n";
    hardened = port_near(18281);
    open = port_near(18282);
    std::ofstream(dir + "/nginx.conf")
        << "daemon on;\npid " << dir << "/nginx.pid;\nerror_log " << dir << "/error.log;\nworker_processes 1;\n"
        << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << dir << "/t1; proxy_temp_path " << dir << "/t2; fastcgi_temp_path " << dir << "/t3;\n"
        << "  uwsgi_temp_path " << dir << "/t4; scgi_temp_path " << dir << "/t5;\n"
        << "  server {\n    listen 127.0.0.1:" << hardened << ";\n    root " << dir << "/www/hardened;\n    server_tokens off;\n"
        << "    add_header Content-Security-Policy \"default-src 'none'; frame-ancestors 'none'\" always;\n"
        << "    add_header X-Content-Type-Options nosniff always;\n    add_header X-Frame-Options DENY always;\n"
        << "    add_header Referrer-Policy no-referrer always;\n    location / { try_files $uri $uri/ =404; }\n  }\n"
        << "  server {\n    listen 127.0.0.1:" << open << ";\n    root " << dir << "/www/open;\n"
        << "    location / { try_files $uri $uri/ =404; }\n  }\n}\n";
    auto r = run_command("/usr/sbin/nginx -p '" + dir + "' -c '" + dir + "/nginx.conf'");
    if (r.exit_code != 0) error = "nginx did not start: " + r.err;
    for (int i = 0; error.empty() && i < 200 && !fs::exists(dir + "/nginx.pid"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ~Nginx() {
    std::ifstream f(dir + "/nginx.pid");
    int pid = 0;
    if (f >> pid && pid > 0) kill(pid, SIGTERM);
  }
  std::string url(int port) const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
};

std::vector<std::pair<std::string, std::string>>& used_ports() {
  static std::vector<std::pair<std::string, std::string>> p;
  return p;
}

ToolsDatabase build() {
  ToolsDatabase out;
  for (const char* t : {"opskit", "screen", "score-leads", "capture", "scan-endpoint", "simulate", "report"})
    if (!fs::exists(bin(t))) {
      out.error = std::string("tool '") + t + "' is not part of this build (configure with every tool for these tests)";
      return out;
    }
  Runner r;
  // One folder per test process (ctest runs several of these tests at once),
  // removed at exit.
  r.work = opskit::test::temp_dir("tools");
  fs::create_directory_symlink(opskit::test::source_dir() + "/examples", r.work + "/examples");

  r.run("2026-11-16T00:00:00Z", "opskit", "db migrate");
  r.run("2026-11-16T00:00:00Z", "opskit", "tenant add acme --name 'Acme Ltd'");

  // screen: the project's sample lists, a transaction batch (one broken row
  // is reported and skipped), one human decision, a rescreen the next day.
  r.run("2026-11-16T01:00:00Z", "screen", "lists update --from examples/screen/lists");
  r.run("2026-11-16T02:00:00Z", "screen", "batch examples/screen/transactions.csv", {0, 1});
  const std::string open = r.run("2026-11-17T09:00:00Z", "screen", "review list --format csv");
  const size_t line = open.find('\n');
  const std::string first = line == std::string::npos ? "" : open.substr(line + 1, open.find_first_of(",\n", line + 1) - line - 1);
  if (r.error.empty() && first.empty()) r.error = "screen review list showed no open match to decide";
  r.run("2026-11-17T09:30:00Z", "screen", "review decide " + first + " --clear --note 'different person: checked the date of birth' --by analyst");
  r.run("2026-11-18T02:00:00Z", "screen", "rescreen", {0, 1});

  // score-leads: history imported, a linear model scores the new leads; two
  // days later a boosted model replaces it and the scores move.
  r.run("2026-11-16T03:00:00Z", "score-leads", "import examples/score-leads/history.csv --spec examples/score-leads/spec.yaml");
  r.run("2026-11-16T03:10:00Z", "score-leads", "train --spec examples/score-leads/spec.yaml --models linear --promote");
  r.run("2026-11-16T03:20:00Z", "score-leads", "score examples/score-leads/new_leads.csv --format csv");
  r.run("2026-11-18T03:10:00Z", "score-leads", "train --spec examples/score-leads/spec.yaml --models gbdt --trees 30 --promote");
  r.run("2026-11-18T03:20:00Z", "score-leads", "score examples/score-leads/new_leads.csv --format csv");

  // capture: the project's own synthetic office capture, with indicators.
  r.run("2026-11-18T04:00:00Z", "capture", "example office.pcap --seed 42");
  r.run("2026-11-18T04:05:00Z", "capture", "indicators import examples/capture/indicators.csv");
  r.run("2026-11-18T04:10:00Z", "capture", "file office.pcap", {0, 1});

  // scan-endpoint: two sites on a local nginx scanned on two days; the
  // exposed .env is removed in between, so one issue is fixed.
  {
    Nginx nginx(r.work + "/nginx");
    if (!nginx.error.empty() && r.error.empty()) r.error = nginx.error;
    used_ports() = {{std::to_string(nginx.hardened), "18281"}, {std::to_string(nginx.open), "18282"}};
    std::ofstream(r.work + "/targets.txt") << nginx.url(nginx.hardened) << "\n" << nginx.url(nginx.open) << "\n";
    r.run("2026-11-17T06:00:00Z", "scan-endpoint", "allow add 127.0.0.1");
    r.run("2026-11-17T06:10:00Z", "scan-endpoint", "url --targets targets.txt --no-tls", {0, 1});
    fs::remove(r.work + "/nginx/www/open/.env");
    r.run("2026-11-19T06:10:00Z", "scan-endpoint", "url --targets targets.txt --no-tls", {0, 1});
  }
  // scan-endpoint: a device baseline, then a day that opens an incident.
  r.run("2026-11-17T05:00:00Z", "scan-endpoint", "telemetry examples/scan-endpoint/events.jsonl --learn");
  r.run("2026-11-19T05:00:00Z", "scan-endpoint", "telemetry examples/scan-endpoint/events-today.jsonl", {0, 1});

  // simulate: the shop graph, one what-if with Monte Carlo bands and a
  // waterfall (run 1), initiatives and a plan.
  r.run("2026-11-19T07:00:00Z", "simulate", "graph import examples/simulate/graph.yaml --replace");
  r.run("2026-11-19T07:10:00Z", "simulate",
        "run --set marketing_spend=+20% --set price=+10% --horizon 90d --at 7,30 --samples 300 --waterfall revenue");
  r.run("2026-11-19T07:20:00Z", "simulate", "initiatives import examples/simulate/initiatives.yaml");
  r.run("2026-11-19T07:30:00Z", "simulate", "plan --budget 60000 --target revenue");

  if (!r.error.empty()) {
    out.error = r.error;
    return out;
  }
  out.path = r.work + "/tools.db";
  out.ports = used_ports();
  return out;
}

}  // namespace

std::string normalise_ports(std::string text) {
  for (const auto& [used, shown] : tools_database().ports) {
    if (used == shown) continue;
    const std::string from = "127.0.0.1:" + used, to = "127.0.0.1:" + shown;
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  }
  return text;
}

const ToolsDatabase& tools_database() {
  static const ToolsDatabase db = build();
  return db;
}

}  // namespace report_test
