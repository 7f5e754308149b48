#include "scan/scanner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/runtime.hpp"
#include "core/text.hpp"
#include "scan/exposure.hpp"

namespace opskit::scan {
namespace {

using SteadyClock = std::chrono::steady_clock;
double now_s() { return std::chrono::duration<double>(SteadyClock::now().time_since_epoch()).count(); }

enum class Kind { main, http, soft404, exposure };

struct Job {
  size_t target = 0;
  Kind kind = Kind::main;
  std::string url;
  int attempt = 0;
  double not_before = 0;
  size_t check = 0;  // exposure check index (or extra path index beyond the table)
  std::string host;  // host:port, the unit of the per-host caps
};

std::string host_key_of(const std::string& url);

Job make_job(size_t target, Kind kind, std::string url, size_t check = 0) {
  Job j;
  j.target = target;
  j.kind = kind;
  j.url = std::move(url);
  j.check = check;
  return j;
}

// Waiting jobs, one queue per host:port, visited in first-seen order, so the
// loop never rescans jobs whose host is at its cap.
class JobQueue {
 public:
  void push_back(Job j) {
    auto& q = bucket(j);
    q.push_back(std::move(j));
    ++size_;
  }
  void push_front(Job j) {
    auto& q = bucket(j);
    q.push_front(std::move(j));
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  std::vector<std::pair<std::string, std::deque<Job>>>& hosts() { return hosts_; }
  void popped() { --size_; }
  template <class Pred>
  void drop_if(Pred pred) {
    for (auto& [h, q] : hosts_) {
      size_t before = q.size();
      q.erase(std::remove_if(q.begin(), q.end(), pred), q.end());
      size_ -= before - q.size();
    }
  }

 private:
  std::deque<Job>& bucket(Job& j) {
    if (j.host.empty()) j.host = host_key_of(j.url);
    auto [it, fresh] = index_.emplace(j.host, hosts_.size());
    if (fresh) hosts_.emplace_back(j.host, std::deque<Job>{});
    return hosts_[it->second].second;
  }
  std::vector<std::pair<std::string, std::deque<Job>>> hosts_;
  std::unordered_map<std::string, size_t> index_;
  size_t size_ = 0;
};

struct Chain {
  std::vector<Response> hops;
  std::set<std::string> visited;
  bool loop = false, too_many = false, off_allow_list = false;
  bool done = false;
};

struct State {
  const Target* target = nullptr;
  Url url;
  EndpointResult result;
  Chain main, http;
  bool want_http = false;
  std::optional<Response> soft404;
  bool soft404_done = true;
  std::vector<std::pair<size_t, Response>> probes;
  size_t pending = 0;
  double started = 0, deadline = 0;
  bool finished = false, timed_out = false;
  std::set<uint64_t> inflight;
};

std::string host_key(const Url& u) { return u.host + ":" + std::to_string(u.port); }
std::string host_key_of(const std::string& url) {
  Url u;
  parse_url(url, u);
  return host_key(u);
}

bool transient(const std::string& error) {
  return error.starts_with("connect") || error.starts_with("timeout") || error.starts_with("protocol") ||
         error.starts_with("other") || error.starts_with("tls");
}

const char* kSecurityHeaders[] = {"content-security-policy", "strict-transport-security", "x-frame-options",
                                  "x-content-type-options", "referrer-policy", "permissions-policy",
                                  "cross-origin-opener-policy", "cross-origin-embedder-policy",
                                  "cross-origin-resource-policy", "access-control-allow-origin", "server",
                                  "x-powered-by"};

}  // namespace

bool AllowList::allows(const std::string& host) const {
  std::string h = text::lower(host);
  for (const auto& raw : patterns) {
    std::string p = text::lower(text::trim(raw));
    if (p == "*" || p == h) return true;
    if (p.starts_with("*.") && h.size() > p.size() - 1 && h.ends_with(p.substr(1))) return true;
  }
  return false;
}

long parse_retry_after(const std::string& value, int64_t now_unix) {
  std::string v(text::trim(value));
  long long secs;
  if (text::parse_int(v, secs)) return secs < 0 ? -1 : static_cast<long>(secs);
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  tm t{};
  char month[4] = {0};
  int day, year, hh, mm, ss;
  if (std::sscanf(v.c_str(), "%*3s, %d %3s %d %d:%d:%d GMT", &day, month, &year, &hh, &mm, &ss) == 6) {
    static const char* months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char* m = std::strstr(months, month);
    if (!m) return -1;
    char iso[32];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, static_cast<int>((m - months) / 3 + 1), day, hh,
                  mm, ss);
    int64_t at;
    if (!parse_iso8601(iso, at)) return -1;
    return at <= now_unix ? 0 : static_cast<long>(at - now_unix);
  }
  (void)t;
  return -1;
}

std::string cap_grade(const std::string& observatory_grade, const std::string& tls_grade) {
  if (tls_grade.empty() || tls_grade == "A") return observatory_grade;
  std::string tls = (tls_grade == "T" || tls_grade == "M") ? "F" : tls_grade;
  if (observatory_grade.empty()) return tls;
  return grade_rank(tls) < grade_rank(observatory_grade) ? tls : observatory_grade;
}

namespace {

void add_baseline(EndpointResult& r, const Response& page) {
  for (const char* h : kSecurityHeaders)
    if (auto v = page.headers.get(h)) r.baseline_headers[h] = v->substr(0, 512);
  std::string mime = mime_type(page);
  if (mime.empty() || mime == "text/html" || mime == "application/xhtml+xml")
    for (const auto& s : html_scripts(page.body))
      if (!s.src.empty()) r.scripts.push_back(s.src + (s.has_integrity ? "#" + s.integrity : ""));
  std::sort(r.scripts.begin(), r.scripts.end());
}

void add_tls_findings(EndpointResult& r) {
  for (size_t i = 0; i < r.tls->caps.size(); ++i) {
    const std::string& c = r.tls->caps[i];
    char letter = c[0];
    Severity sev = letter == 'B' ? Severity::low : letter == 'C' ? Severity::medium : Severity::high;
    std::string id = i < r.tls->cap_ids.size() ? r.tls->cap_ids[i] : "weak";
    r.findings.push_back({"scan.tls." + id, sev, c.substr(3), r.tls->version + " " + r.tls->cipher, controls_for("scan.tls." + id)});
  }
  if (r.tls->reachable && !r.tls->expired && r.tls->days_to_expiry < 30)
    r.findings.push_back({"scan.tls.expiring", r.tls->days_to_expiry < 7 ? Severity::high : Severity::medium,
                          "Certificate expires in " + std::to_string(r.tls->days_to_expiry) + " days", r.tls->not_after,
                          controls_for("scan.tls.expiring")});
}

void grade_page(EndpointResult& r, ObservatoryInput in) {
  r.observatory = grade_observatory(in);
  r.score = r.observatory->score;
  r.grade = r.observatory->grade;
  auto f = observatory_findings(*r.observatory);
  r.findings.insert(r.findings.end(), f.begin(), f.end());
  auto h = header_findings(*in.page, text::starts_with_icase(in.page->url, "https://"));
  r.findings.insert(r.findings.end(), h.begin(), h.end());
  add_baseline(r, *in.page);
}

}  // namespace

EndpointResult grade_recorded(const std::vector<Response>& chain, const std::string& name, const HstsPreload* preload) {
  EndpointResult r;
  r.target = chain.empty() ? name : chain.front().url;
  if (chain.empty()) {
    r.status = "error";
    r.error = "no response";
    return r;
  }
  Url u;
  if (parse_url(chain.front().url, u)) {
    r.host = u.host;
    r.port = u.port;
  }
  for (const auto& c : chain) r.redirect_chain.push_back(c.url);
  r.final_url = chain.back().url;
  r.http_status = chain.back().status;
  grade_page(r, input_from_chain(chain, preload));
  sort_findings(r.findings);
  return r;
}

std::vector<EndpointResult> scan_targets(const TargetList& list, const AllowList& allow, const ScanOptions& opt,
                                         HttpTransport& transport) {
  std::vector<State> states(list.targets.size());
  std::vector<EndpointResult> out;
  std::mt19937_64 rng(opt.seed);
  JobQueue queue;
  std::unordered_map<uint64_t, Job> running;
  std::unordered_map<std::string, size_t> host_inflight;
  // The latest request per host: when it started and when it went out on
  // the wire (0 while still connecting). The rate is held on the wire: a
  // request that waited for its connection must not let the next one follow
  // it closer than 1/rate.
  struct LastRequest {
    uint64_t id = 0;
    double started = 0, sent = 0;
  };
  std::unordered_map<std::string, LastRequest> host_last;
  uint64_t next_id = 1;

  // TLS probes run on worker threads beside the HTTP loop.
  struct TlsJob {
    std::string connect, sni;
    int port;
    std::vector<size_t> targets;
  };
  std::vector<TlsJob> tls_jobs;
  std::map<std::string, size_t> tls_index;
  std::vector<TlsReport> tls_reports;
  std::map<std::string, std::string> resolve_map;  // host:port -> addr
  for (const auto& r : opt.resolve) {
    auto last = r.rfind(':');
    if (last != std::string::npos) resolve_map[r.substr(0, last)] = r.substr(last + 1);
  }

  double t0 = now_s();
  for (size_t i = 0; i < list.targets.size(); ++i) {
    State& s = states[i];
    s.target = &list.targets[i];
    s.result.target = s.target->url;
    s.result.expect_grade = s.target->expect_grade;
    s.result.where = s.target->where;
    s.started = t0;
    s.deadline = 1e300;  // set when the target's first request starts
    if (!parse_url(s.target->url, s.url)) {
      s.result.status = "invalid";
      s.result.error = "not an absolute http(s) URL";
      s.finished = true;
      continue;
    }
    s.result.host = s.url.host;
    s.result.port = s.url.port;
    if (!allow.allows(s.url.host)) {
      s.result.status = "refused";
      s.result.error = "host '" + s.url.host + "' is not in the tenant's allow-list";
      s.finished = true;
      continue;
    }
    queue.push_back(make_job(i, Kind::main, s.url.str()));
    s.pending = 1;
    std::string http_url = s.target->http_url;
    if (http_url.empty() && s.url.scheme == "https" && s.url.port == 443) http_url = "http://" + s.url.host + "/";
    Url hu;
    if (!http_url.empty() && parse_url(http_url, hu) && hu.scheme == "http") {
      s.want_http = true;
      queue.push_back(make_job(i, Kind::http, hu.str()));
      ++s.pending;
    }
    if (opt.tls && s.url.scheme == "https") {
      auto it = resolve_map.find(host_key(s.url));
      std::string connect = it == resolve_map.end() ? s.url.host : it->second;
      if (connect.size() > 2 && connect.front() == '[') connect = connect.substr(1, connect.size() - 2);
      std::string key = connect + "|" + std::to_string(s.url.port) + "|" + s.url.host;
      auto [pos, fresh] = tls_index.emplace(key, tls_jobs.size());
      if (fresh) tls_jobs.push_back({connect, s.url.host, s.url.port, {}});
      tls_jobs[pos->second].targets.push_back(i);
    }
  }

  tls_reports.resize(tls_jobs.size());
  std::atomic<size_t> tls_next{0};
  std::vector<std::thread> tls_threads;
  size_t nthreads = std::min(opt.tls_threads, tls_jobs.size());
  for (size_t t = 0; t < nthreads; ++t)
    tls_threads.emplace_back([&] {
      for (size_t j = tls_next++; j < tls_jobs.size(); j = tls_next++)
        tls_reports[j] = probe_tls(tls_jobs[j].connect, tls_jobs[j].port, tls_jobs[j].sni, opt.tls_options, opt.now_unix);
    });

  auto start_job = [&](Job job) {
    State& s = states[job.target];
    if (s.deadline > 1e299) {
      s.started = now_s();
      s.deadline = s.started + opt.target_timeout_ms / 1000.0;
    }
    HttpRequest req;
    req.url = job.url;
    req.connect_timeout_ms = opt.connect_timeout_ms;
    req.timeout_ms = std::max<long>(1, std::min<long>(opt.request_timeout_ms, static_cast<long>((s.deadline - now_s()) * 1000)));
    req.headers = s.target->headers;
    req.body_limit = job.kind == Kind::main || job.kind == Kind::http ? opt.body_limit : opt.probe_limit;
    if (job.kind == Kind::main) req.headers.push_back("Origin: " + opt.origin);
    uint64_t id = next_id++;
    ++host_inflight[job.host];
    host_last[job.host] = {id, now_s(), 0};
    s.inflight.insert(id);
    running[id] = job;
    transport.start(id, req);
  };

  auto finish_job = [&](State& s) {
    if (s.pending) --s.pending;
  };

  auto retry_delay = [&](int attempt) {
    std::uniform_real_distribution<double> jitter(0.05, 0.25);
    return jitter(rng) * (attempt + 1);
  };

  auto enqueue_probes = [&](size_t i) {
    State& s = states[i];
    if (!opt.exposure) return;
    char name[40];
    std::snprintf(name, sizeof name, "/scan-endpoint-%016llx.html", static_cast<unsigned long long>(rng()));
    s.soft404_done = false;
    queue.push_back(make_job(i, Kind::soft404, s.url.origin() + name));
    ++s.pending;
    size_t n = exposure_checks().size() + s.target->paths.size();
    for (size_t c = 0; c < n; ++c) {
      std::string path = c < exposure_checks().size() ? exposure_checks()[c].path : s.target->paths[c - exposure_checks().size()];
      if (path.empty() || path[0] != '/') path = "/" + path;
      queue.push_back(make_job(i, Kind::exposure, s.url.origin() + path, c));
      ++s.pending;
    }
  };

  auto on_response = [&](Job job, Response resp) {
    State& s = states[job.target];
    if (s.finished) return;
    // Retries: transport trouble once with jitter; 429/503 after Retry-After.
    if (job.attempt < opt.retries) {
      if (!resp.error.empty() && transient(resp.error)) {
        job.attempt++;
        job.not_before = now_s() + retry_delay(job.attempt);
        queue.push_front(job);
        return;
      }
      if (resp.status == 429 || resp.status == 503) {
        long wait = 1;
        if (auto ra = resp.headers.get("retry-after")) {
          long v = parse_retry_after(*ra, opt.now_unix);
          if (v >= 0) wait = v;
        }
        wait = std::min<long>(wait, opt.retry_after_cap_s);
        job.attempt++;
        job.not_before = now_s() + static_cast<double>(wait) + retry_delay(0);
        queue.push_front(job);
        return;
      }
    }
    if (job.kind == Kind::main || job.kind == Kind::http) {
      Chain& chain = job.kind == Kind::main ? s.main : s.http;
      chain.visited.insert(job.url);
      chain.hops.push_back(resp);
      bool redirect = resp.error.empty() && resp.status >= 300 && resp.status <= 399 && resp.headers.has("location");
      if (redirect) {
        Url base;
        parse_url(job.url, base);
        std::string next = resolve_url(base, *resp.headers.get("location"));
        Url nu;
        if (!parse_url(next, nu)) {
          chain.done = true;
        } else if (chain.visited.count(nu.str())) {
          chain.loop = true;
          chain.done = true;
        } else if (static_cast<int>(chain.hops.size()) > opt.max_redirects) {
          chain.too_many = true;
          chain.done = true;
        } else if (!allow.allows(nu.host)) {
          chain.off_allow_list = true;
          chain.done = true;
        } else {
          queue.push_back(make_job(job.target, job.kind, nu.str()));
          return;  // the job continues with the next hop; pending unchanged
        }
      } else {
        chain.done = true;
      }
      finish_job(s);
      if (job.kind == Kind::main && resp.error.empty() && !chain.loop) enqueue_probes(job.target);
      return;
    }
    if (job.kind == Kind::soft404) {
      s.soft404_done = true;
      if (resp.error.empty() && resp.status >= 200 && resp.status <= 299) s.soft404 = std::move(resp);
      finish_job(s);
      return;
    }
    s.probes.emplace_back(job.check, std::move(resp));
    finish_job(s);
  };

  double next_deadline_check = 0;
  while (!queue.empty() || transport.in_flight() > 0) {
    double now = now_s();
    // Targets past their deadline: cancel what is in flight, drop what waits.
    if (now >= next_deadline_check) {
      next_deadline_check = now + 0.1;
      bool any = false;
      for (auto& s : states) {
        if (s.finished || s.timed_out || now < s.deadline || (!s.pending && s.inflight.empty())) continue;
        s.timed_out = any = true;
        for (uint64_t id : s.inflight) {
          transport.cancel(id);
          auto it = running.find(id);
          if (it != running.end()) {
            --host_inflight[it->second.host];
            running.erase(it);
          }
        }
        s.inflight.clear();
        s.pending = 0;
      }
      if (any) queue.drop_if([&](const Job& j) { return states[j.target].timed_out; });
    }
    for (auto& [host, q] : queue.hosts()) {
      if (transport.in_flight() >= opt.concurrency) break;
      while (!q.empty() && transport.in_flight() < opt.concurrency && host_inflight[host] < opt.per_host &&
             q.front().not_before <= now) {
        if (opt.per_host_rate > 0) {
          auto it = host_last.find(host);
          if (it != host_last.end()) {
            LastRequest& last = it->second;
            if (!last.sent && running.count(last.id)) last.sent = transport.sent_at(last.id);
            if (last.sent == 0 && running.count(last.id)) break;  // still connecting: its send time is unknown
            if (now - std::max(last.started, last.sent) < 1.0 / opt.per_host_rate) break;
          }
        }
        Job j = std::move(q.front());
        q.pop_front();
        queue.popped();
        start_job(j);
      }
    }
    if (transport.in_flight() == 0) {
      if (queue.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    for (auto& [id, resp] : transport.poll(20)) {
      auto it = running.find(id);
      if (it == running.end()) continue;
      Job job = std::move(it->second);
      running.erase(it);
      if (auto last = host_last.find(job.host); last != host_last.end() && last->second.id == id && !last->second.sent)
        last->second.sent = resp.sent_at > 0 ? resp.sent_at : now_s();
      --host_inflight[job.host];
      states[job.target].inflight.erase(id);
      on_response(job, std::move(resp));
    }
  }
  for (auto& t : tls_threads) t.join();
  for (size_t j = 0; j < tls_jobs.size(); ++j)
    for (size_t i : tls_jobs[j].targets) states[i].result.tls = tls_reports[j];

  // Results, in input order, then the bad lines of the target file.
  for (auto& s : states) {
    EndpointResult& r = s.result;
    r.elapsed_ms = (now_s() - s.started) * 1000.0;
    if (s.finished) {
      out.push_back(std::move(r));
      continue;
    }
    if (s.timed_out && !s.main.done) {
      r.status = "error";
      r.error = "timeout: target deadline of " + std::to_string(opt.target_timeout_ms) + " ms passed";
      r.findings.push_back({"scan.error.timeout", Severity::medium, "Target did not finish in time", r.error, controls_for("scan.error.timeout")});
      out.push_back(std::move(r));
      continue;
    }
    for (const auto& h : s.main.hops) r.redirect_chain.push_back(h.url);
    if (s.main.loop) {
      r.status = "error";
      r.error = "redirect-loop: " + std::to_string(s.main.hops.size()) + " hops back to " + s.main.hops.back().url;
      r.findings.push_back({"scan.redirect.loop", Severity::medium, "Redirect loop", redact(r.error), controls_for("scan.redirect.loop")});
      out.push_back(std::move(r));
      continue;
    }
    const Response& last = s.main.hops.back();
    if (!last.error.empty()) {
      r.status = "error";
      r.error = last.error;
      std::string kind = last.error.substr(0, last.error.find(':'));
      r.findings.push_back({"scan.error." + kind, Severity::medium, "Endpoint unreachable (" + kind + ")", redact(last.error),
                            controls_for("scan.error." + kind)});
      // TLS may answer although HTTP did not (only legacy TLS): still report it.
      if (r.tls && r.tls->reachable) add_tls_findings(r);
      sort_findings(r.findings);
      out.push_back(std::move(r));
      continue;
    }
    if (s.main.too_many)
      r.findings.push_back({"scan.redirect.too-many", Severity::low, "More than " + std::to_string(opt.max_redirects) + " redirects",
                            redact(last.url), controls_for("scan.redirect.too-many")});
    if (s.main.off_allow_list)
      r.findings.push_back({"scan.redirect.off-allow-list", Severity::info, "Redirect to a host outside the allow-list not followed",
                            redact(last.headers.get("location").value_or("")), controls_for("scan.redirect.off-allow-list")});
    if (s.http.loop)
      r.findings.push_back({"scan.redirect.loop", Severity::medium, "Redirect loop on the http:// side", redact(s.http.hops.back().url),
                            controls_for("scan.redirect.loop")});
    r.final_url = last.url;
    r.http_status = last.status;
    ObservatoryInput in;
    in.host = s.url.host;
    in.page = last;
    in.preload = opt.preload;
    bool verified = !r.tls || (r.tls->chain_valid && r.tls->hostname_match && !r.tls->expired);
    if (text::starts_with_icase(last.url, "https://")) {
      in.https = last;
      in.https->verified = verified;
    }
    if (s.url.scheme == "http") {
      in.http_route = s.main.hops;
    } else if (s.want_http && !s.http.hops.empty() && s.http.hops.front().error.empty()) {
      std::vector<Response> route;
      for (auto& h : s.http.hops)
        if (h.error.empty()) route.push_back(h);
      in.http_route = route;
      in.http_route_verified = verified;
    }
    in.cors = last;
    in.cors_origin = opt.origin;
    grade_page(r, in);
    if (r.tls) {
      add_tls_findings(r);
      r.grade = cap_grade(r.grade, r.tls->grade);
    }
    for (auto& [c, resp] : s.probes) {
      if (c < exposure_checks().size()) {
        const auto& check = exposure_checks()[c];
        if (exposure_confirmed(check, resp, s.soft404)) r.findings.push_back(exposure_finding(check, resp));
      } else if (resp.error.empty() && resp.status >= 200 && resp.status <= 299 &&
                 !(s.soft404 && s.soft404->body == resp.body)) {
        ExposureCheck extra{"custom", resp.url, Signature::any_text, Severity::medium, "Listed path answers 200"};
        Finding f = exposure_finding(extra, resp);
        f.rule = "scan.exposure.custom";
        r.findings.push_back(f);
      }
    }
    sort_findings(r.findings);
    out.push_back(std::move(r));
  }
  for (const auto& b : list.bad) {
    EndpointResult r;
    r.target = b.where.str();
    r.status = "invalid";
    r.error = b.reason;
    r.where = b.where;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace opskit::scan
