// The scanner loop against a scripted transport: redirects, loops, the
// allow-list, retries, Retry-After, exposure with a soft-404 baseline,
// per-host concurrency, bad target lines.
#include <catch2/catch.hpp>

#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "scan/exposure.hpp"
#include "scan/scanner.hpp"
#include "test_paths.hpp"

using namespace opskit::scan;

namespace {

// Answers from a function of the URL; records what was asked and how many
// requests were in flight per host at most.
class ScriptedTransport : public HttpTransport {
 public:
  std::function<Response(const HttpRequest&, int call)> answer;
  std::map<std::string, int> calls;
  std::vector<HttpRequest> seen;
  std::map<std::string, size_t> inflight_per_host, max_inflight_per_host;

  void start(uint64_t id, const HttpRequest& req) override {
    Url u;
    parse_url(req.url, u);
    int n = ++calls[req.url];
    seen.push_back(req);
    Response r = answer(req, n);
    r.url = req.url;
    std::string key = u.host + ":" + std::to_string(u.port);  // the scanner caps per host and port
    size_t& f = inflight_per_host[key];
    ++f;
    max_inflight_per_host[key] = std::max(max_inflight_per_host[key], f);
    pending_.push_back({id, {key, r}});
  }
  std::vector<std::pair<uint64_t, Response>> poll(int) override {
    std::vector<std::pair<uint64_t, Response>> out;
    // Complete one request per poll so that concurrency is observable.
    if (!pending_.empty()) {
      auto [id, hr] = pending_.front();
      pending_.pop_front();
      --inflight_per_host[hr.first];
      out.emplace_back(id, hr.second);
    }
    return out;
  }
  void cancel(uint64_t id) override {
    for (auto it = pending_.begin(); it != pending_.end(); ++it)
      if (it->first == id) {
        --inflight_per_host[it->second.first];
        pending_.erase(it);
        return;
      }
  }
  size_t in_flight() const override { return pending_.size(); }

 private:
  std::deque<std::pair<uint64_t, std::pair<std::string, Response>>> pending_;
};

Response page(int status, std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
  Response r;
  r.status = status;
  for (auto& [k, v] : headers) r.headers.add(k, v);
  r.body = std::move(body);
  return r;
}

ScanOptions quick() {
  ScanOptions o;
  o.tls = false;
  o.exposure = false;
  o.now_unix = 1700000000;
  return o;
}

AllowList all() { return AllowList{{"*"}}; }

}  // namespace

TEST_CASE("allow-list patterns", "[scan][scanner]") {
  AllowList a{{"example.com", "*.corp.test"}};
  CHECK(a.allows("example.com"));
  CHECK(a.allows("EXAMPLE.com"));
  CHECK_FALSE(a.allows("www.example.com"));
  CHECK(a.allows("a.corp.test"));
  CHECK_FALSE(a.allows("corp.test"));
  CHECK_FALSE(AllowList{}.allows("x"));
}

TEST_CASE("targets outside the allow-list are refused, the rest scans", "[scan][scanner]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest&, int) { return page(200, {{"Content-Type", "text/html"}}, "<p>ok</p>"); };
  auto list = targets_from_urls({"https://ok.test/", "https://evil.test/", "not a url"});
  auto res = scan_targets(list, AllowList{{"ok.test"}}, quick(), t);
  REQUIRE(res.size() == 3);
  CHECK(res[0].status == "ok");
  CHECK(res[1].status == "refused");
  CHECK(res[2].status == "invalid");
  for (const auto& [url, n] : t.calls) CHECK(url.find("evil") == std::string::npos);
}

TEST_CASE("redirects are followed by hand - loops are detected", "[scan][scanner]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest& req, int) {
    if (req.url == "https://a.test/") return page(302, {{"Location", "/step"}});
    if (req.url == "https://a.test/step") return page(200, {{"Content-Type", "text/html"}});
    if (req.url == "https://loop.test/") return page(301, {{"Location", "https://loop.test/x"}});
    if (req.url == "https://loop.test/x") return page(301, {{"Location", "https://loop.test/"}});
    return page(404);
  };
  auto res = scan_targets(targets_from_urls({"https://a.test/", "https://loop.test/"}), all(), quick(), t);
  REQUIRE(res.size() == 2);
  CHECK(res[0].status == "ok");
  CHECK(res[0].final_url == "https://a.test/step");
  CHECK(res[0].redirect_chain.size() == 2);
  CHECK(res[1].status == "error");
  CHECK(res[1].error.starts_with("redirect-loop"));
  REQUIRE_FALSE(res[1].findings.empty());
  CHECK(res[1].findings[0].rule == "scan.redirect.loop");
}

TEST_CASE("redirect chains stop at the hop limit and at the allow-list", "[scan][scanner]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest& req, int) {
    Url u;
    parse_url(req.url, u);
    if (u.host == "far.test") return page(301, {{"Location", "https://elsewhere.test/"}});
    int n = std::stoi(u.path.substr(1).empty() ? "0" : u.path.substr(1));
    return page(302, {{"Location", "/" + std::to_string(n + 1)}});
  };
  auto opt = quick();
  opt.max_redirects = 3;
  auto res = scan_targets(targets_from_urls({"https://chain.test/0", "https://far.test/"}),
                          AllowList{{"chain.test", "far.test"}}, opt, t);
  CHECK(res[0].status == "ok");
  CHECK(res[0].redirect_chain.size() == 4);
  bool too_many = false;
  for (auto& f : res[0].findings) too_many |= f.rule == "scan.redirect.too-many";
  CHECK(too_many);
  CHECK(t.calls.count("https://elsewhere.test/") == 0);
}

TEST_CASE("transport errors retry once - 429 honours Retry-After", "[scan][scanner]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest& req, int call) {
    Response r;
    if (req.url == "https://flaky.test/") {
      if (call == 1) {
        r.error = "connect: refused";
        return r;
      }
      return page(200, {{"Content-Type", "text/html"}});
    }
    if (req.url == "https://busy.test/") {
      if (call == 1) return page(429, {{"Retry-After", "0"}});
      return page(200, {{"Content-Type", "text/html"}});
    }
    r.error = "dns: could not resolve";
    return r;
  };
  auto res = scan_targets(targets_from_urls({"https://flaky.test/", "https://busy.test/", "https://nx.test/"}), all(), quick(), t);
  CHECK(res[0].status == "ok");
  CHECK(t.calls["https://flaky.test/"] == 2);
  CHECK(res[1].status == "ok");
  CHECK(t.calls["https://busy.test/"] == 2);
  CHECK(res[2].status == "error");
  CHECK(res[2].error.starts_with("dns"));
  CHECK(t.calls["https://nx.test/"] == 1);  // DNS failures are not retried
  CHECK(parse_retry_after("120", 0) == 120);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10);
  CHECK(parse_retry_after("soon", 0) == -1);
}

TEST_CASE("per-host concurrency cap holds", "[scan][scanner]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest&, int) { return page(404, {}, "nope"); };
  auto opt = quick();
  opt.exposure = true;  // many requests to one host
  opt.per_host = 2;
  auto res = scan_targets(targets_from_urls({"https://one.test/"}), all(), opt, t);
  CHECK(res[0].status == "ok");
  CHECK(t.max_inflight_per_host["one.test:443"] <= 2);
  CHECK(t.max_inflight_per_host["one.test:443"] == 2);
  CHECK(t.seen.size() > exposure_checks().size());
  // The User-Agent is set by the transport; the Origin for the CORS test here.
  bool origin = false;
  for (const auto& h : t.seen[0].headers) origin |= h.starts_with("Origin: ");
  CHECK(origin);
}

TEST_CASE("exposure confirmed by content, not by status alone", "[scan][scanner][exposure]") {
  ScriptedTransport t;
  t.answer = [](const HttpRequest& req, int) {
    Url u;
    parse_url(req.url, u);
    if (u.host == "leaky.test") {
      if (u.path == "/.git/HEAD") return page(200, {}, "ref: refs/heads/main\n");
      if (u.path == "/.env") return page(200, {}, "APP_KEY=base64:abcdefghijklmnopqrstuvwxyz0123456789ABCD\nDB_PASSWORD=hunter2\n");
      if (u.path == "/backup/") return page(200, {}, "<html><head><title>Index of /backup/</title></head></html>");
      return page(404, {}, "not found");
    }
    // soft-404 site: everything answers 200 with the same page
    return page(200, {{"Content-Type", "text/html"}}, "<html>Welcome! ref: refs/heads/main</html>");
  };
  auto opt = quick();
  opt.exposure = true;
  auto res = scan_targets(targets_from_urls({"https://leaky.test/", "https://soft.test/"}), all(), opt, t);
  std::set<std::string> leaky, soft;
  for (auto& f : res[0].findings) leaky.insert(f.rule);
  for (auto& f : res[1].findings) soft.insert(f.rule);
  CHECK(leaky.count("scan.exposure.git-head"));
  CHECK(leaky.count("scan.exposure.env"));
  CHECK(leaky.count("scan.exposure.listing-backup"));
  CHECK_FALSE(leaky.count("scan.exposure.git-config"));
  for (auto& r : soft) CHECK_FALSE(r.starts_with("scan.exposure."));
  for (auto& f : res[0].findings)
    if (f.rule == "scan.exposure.env") CHECK(f.evidence.find("abcdefghijklmnop") == std::string::npos);
}

TEST_CASE("target files: lines and YAML, bad lines reported with their place", "[scan][targets]") {
  std::string dir = opskit::test::temp_dir("scan-targets");
  {
    std::ofstream f(dir + "/list.txt");
    f << "# comment\nhttps://a.test/\n\nnot-a-url\nhttp://b.test:8080/x\n";
  }
  auto l = read_targets(dir + "/list.txt");
  REQUIRE(l.targets.size() == 2);
  REQUIRE(l.bad.size() == 1);
  CHECK(l.bad[0].where.line == 4);
  {
    std::ofstream f(dir + "/t.yaml");
    f << "targets:\n  - url: https://api.test/health\n    headers:\n      Authorization: Bearer x\n    paths: [/admin]\n"
         "    expect_grade: B\n  - https://plain.test/\n  - url: ftp://nope/\n  - headers: {}\n";
  }
  auto y = read_targets(dir + "/t.yaml");
  REQUIRE(y.targets.size() == 2);
  CHECK(y.targets[0].headers == std::vector<std::string>{"Authorization: Bearer x"});
  CHECK(y.targets[0].paths == std::vector<std::string>{"/admin"});
  CHECK(y.targets[0].expect_grade == "B");
  CHECK(y.bad.size() == 2);
  CHECK(y.bad[0].where.line == 8);
}
