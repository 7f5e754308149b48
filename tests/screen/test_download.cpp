// `screen lists update` over HTTPS against a real nginx on 127.0.0.1 serving
// the real list files: first load, conditional requests (304), a truncated
// file, a transfer cut short, a 503 that is retried, the proxy variables.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "list_server.hpp"
#include "test_paths.hpp"

using namespace opskit;
namespace fs = std::filesystem;

namespace {

struct Run {
  int exit_code = -1;
  std::string err;
  std::map<std::string, nlohmann::json> rows;  // list -> its output row
};

struct Env {
  std::string dir, db;
  const screen::testing::ListServer* server = nullptr;

  // Writes a config with these list URLs (paths on the server) and runs `screen lists update`.
  Run update(const std::string& lists, const std::map<std::string, std::string>& urls, const std::string& cache,
             const std::string& env = "env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u all_proxy "
                                      "-u ALL_PROXY no_proxy=127.0.0.1",
             int attempts = 3) const {
    std::string cfg = dir + "/config-" + std::to_string(++configs) + ".yaml";
    std::ofstream out(cfg);
    out << "screen:\n  lists: " << lists << "\n  cache_dir: " << dir << "/" << cache << "\n  ca_file: "
        << server->ca_file() << "\n  retry_delay: 0.5\n  attempts: " << attempts << "\n  timeout: 30\n  url:\n";
    for (const auto& [list, paths] : urls) {
      std::string joined;
      for (const auto& p : text_split(paths)) joined += (joined.empty() ? "" : ",") + server->url(p);
      out << "    " << list << ": \"" << joined << "\"\n";
    }
    out.close();
    auto r = test::run_command("cd " + dir + " && " + env + " TZ=UTC LC_ALL=C OPSKIT_NOW=2026-01-05T00:00:00Z " +
                               test::bin("screen") + " --db " + db + " --tenant acme --config " + cfg +
                               " --format json lists update");
    Run run;
    run.exit_code = r.exit_code;
    run.err = r.err;
    size_t start = 0;
    while (start < r.out.size()) {
      size_t end = r.out.find('\n', start);
      if (end == std::string::npos) end = r.out.size();
      if (end > start) {
        auto j = nlohmann::json::parse(r.out.substr(start, end - start));
        run.rows[j["list"].get<std::string>()] = j;
      }
      start = end + 1;
    }
    return run;
  }

  // list -> active version id
  std::map<std::string, int64_t> active() const {
    auto r = test::run_command(test::bin("screen") + " --db " + db + " --tenant acme --format json lists show");
    std::map<std::string, int64_t> out;
    size_t start = 0;
    while (start < r.out.size()) {
      size_t end = r.out.find('\n', start);
      if (end == std::string::npos) end = r.out.size();
      if (end > start) {
        auto j = nlohmann::json::parse(r.out.substr(start, end - start));
        if (j["active"] == "yes") out[j["list"].get<std::string>()] = j["version"].get<int64_t>();
      }
      start = end + 1;
    }
    return out;
  }

  static std::vector<std::string> text_split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
      size_t c = s.find(',', start);
      out.push_back(s.substr(start, c - start));
      if (c == std::string::npos) return out;
      start = c + 1;
    }
  }
  mutable int configs = 0;
};

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

std::string newest(const std::string& dir, const std::string& ext) {
  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ext) files.push_back(f.path().filename().string());
  std::sort(files.begin(), files.end());
  return files.empty() ? std::string() : files.back();
}

}  // namespace

TEST_CASE("screen lists update over HTTPS: 200, 304, truncated, cut short, 503, proxy", "[screen][download]") {
  const std::string data = test::shared_data("sanctions");
  if (data.empty()) {
    WARN("../shared/data/sanctions not found: download test skipped");
    return;
  }
  screen::testing::ListServer server(data);
  if (!server.ok()) {
    WARN("download test skipped: " + server.error());
    return;
  }
  Env env;
  env.server = &server;
  env.dir = test::temp_dir("download");
  env.db = env.dir + "/t.db";
  auto m = test::run_command(test::bin("opskit") + " db migrate --db " + env.db + " && " + test::bin("opskit") +
                             " tenant add acme --db " + env.db);
  REQUIRE(m.exit_code == 0);
  const std::string uk = newest(data + "/uk", ".csv");
  REQUIRE(!uk.empty());
  const std::map<std::string, std::string> urls = {
      {"ofac_sdn", "lists/ofac_sdn/sdn.csv,lists/ofac_sdn/alt.csv,lists/ofac_sdn/add.csv,lists/ofac_sdn/sdn_comments.csv"},
      {"un", "lists/un/consolidated.xml"},
      {"uk", "lists/uk/" + uk}};

  // 1. First update: every list downloaded, parsed whole and activated.
  Run first = env.update("ofac_sdn,un,uk", urls, "cache");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  for (const char* l : {"ofac_sdn", "un", "uk"}) {
    INFO(l);
    REQUIRE(first.rows.count(l));
    CHECK(first.rows[l]["status"] == "activated");
    CHECK(first.rows[l]["entities"].get<int64_t>() > 100);
  }
  const auto active1 = env.active();
  CHECK(active1.size() == 3);
  CHECK(count(server.access_log(), "\" 200 ") == 6);

  // 2. Second update: six conditional requests answered 304; nothing reloaded.
  size_t log_before = server.access_log().size();
  Run second = env.update("ofac_sdn,un,uk", urls, "cache");
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  std::string log2 = server.access_log().substr(log_before);
  CHECK(count(log2, "\" 304 ") == 6);
  CHECK(count(log2, "\" 200 ") == 0);
  for (const char* l : {"ofac_sdn", "un", "uk"}) {
    INFO(l);
    CHECK(second.rows[l]["status"] == "unchanged");
    CHECK(second.rows[l]["message"].get<std::string>().find("304") != std::string::npos);
    CHECK(second.rows[l]["version"] == active1.at(l));
  }
  CHECK(env.active() == active1);

  // 3. A truncated file (the UN XML cut in half, served whole): refused, the previous version stays active.
  {
    std::ifstream in(data + "/un/consolidated.xml", std::ios::binary);
    std::string xml((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(server.files_dir() + "/consolidated.xml", std::ios::binary) << xml.substr(0, xml.size() / 2);
  }
  Run truncated = env.update("un", {{"un", "files/consolidated.xml"}}, "cache");
  INFO(truncated.err);
  CHECK(truncated.exit_code == 3);
  CHECK(truncated.rows["un"]["status"] == "failed");
  CHECK(truncated.rows["un"]["message"].get<std::string>().find("stays active") != std::string::npos);
  CHECK(env.active() == active1);

  // 4. A transfer cut short (64 kB of a body whose Content-Length promised 3.9 MB):
  //    retried, then refused with exit 5; no partial file is kept; the previous version stays active.
  auto short_urls = urls;
  short_urls["ofac_sdn"] = "short/ofac_sdn/sdn.csv,lists/ofac_sdn/alt.csv,lists/ofac_sdn/add.csv,lists/ofac_sdn/sdn_comments.csv";
  Run cut = env.update("ofac_sdn", short_urls, "cache-short", "env -u http_proxy -u https_proxy -u HTTPS_PROXY "
                       "-u all_proxy -u ALL_PROXY no_proxy=127.0.0.1", 2);
  INFO(cut.err);
  CHECK(cut.exit_code == 5);
  CHECK(cut.rows["ofac_sdn"]["status"] == "failed");
  CHECK(cut.rows["ofac_sdn"]["message"].get<std::string>().find("after 2 attempts") != std::string::npos);
  CHECK(!fs::exists(env.dir + "/cache-short/ofac_sdn/sdn.csv"));
  CHECK(!fs::exists(env.dir + "/cache-short/ofac_sdn/sdn.csv.part"));
  CHECK(env.active() == active1);

  // 5. A 503 is retried: the server answers 503 until the first 503 is in its log.
  log_before = server.access_log().size();
  std::thread watcher([&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
      if (server.access_log().find("/flaky/", log_before) != std::string::npos &&
          server.access_log().find("\" 503 ", log_before) != std::string::npos) {
        server.make_flaky_ready();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{watcher};
  Run flaky = env.update("uk", {{"uk", "flaky/uk/" + uk}}, "cache-flaky");
  watcher.join();
  INFO(flaky.err);
  CHECK(flaky.exit_code == 0);
  CHECK(flaky.rows["uk"]["status"] == "unchanged");  // downloaded whole; same content as the active version
  std::string log5 = server.access_log().substr(log_before);
  CHECK(count(log5, "\" 503 ") >= 1);
  CHECK(log5.rfind("\" 200 ") > log5.find("\" 503 "));
  CHECK(env.active() == active1);

  // 6. The proxy comes from https_proxy (here a closed local port, so the download fails with exit 5).
  Run proxied = env.update("un", urls, "cache-proxy", "env -u no_proxy -u NO_PROXY https_proxy=http://127.0.0.1:9", 1);
  CHECK(proxied.exit_code == 5);
  CHECK(proxied.rows["un"]["status"] == "failed");
  CHECK(proxied.rows["un"]["message"].get<std::string>().find("127.0.0.1 port 9") != std::string::npos);
  CHECK(env.active() == active1);
}
