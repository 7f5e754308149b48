#include <chrono>
#include <unordered_map>

#include "core/error.hpp"
#include "core/libcurl.hpp"
#include "core/text.hpp"
#include "scan/transport.hpp"

namespace opskit::scan {
namespace {

struct Transfer {
  uint64_t id = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  Response response;
  size_t body_limit = 0, header_limit = 0, header_bytes = 0;
  bool too_large = false;
  bool body_cut = false;
  double sent_at = 0;  // set when curl is about to send the request
};

double steady_now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int on_prereq(void* user, char*, char*, int, int) {
  static_cast<Transfer*>(user)->sent_at = steady_now();
  return CURL_PREREQFUNC_OK;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->header_bytes += len;
  if (t->header_bytes > t->header_limit) {
    t->too_large = true;
    return 0;  // abort: a hostile server sends megabytes of headers
  }
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new response (after 100 Continue or a proxy CONNECT): start over.
    t->response.headers = Headers();
    auto sp = line.find(' ');
    t->response.http_version = std::string(line.substr(0, sp));
    return len;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0)
    t->response.headers.add(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  return len;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  size_t room = t->body_limit > t->response.body.size() ? t->body_limit - t->response.body.size() : 0;
  t->response.body.append(data, std::min(room, len));
  if (len > room) {
    t->body_cut = true;
    return 0;  // stop reading: we only ever look at the first kilobytes
  }
  return len;
}

std::string classify(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "dns";
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_SSL_CONNECT_ERROR: return "tls";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return "cert";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_BAD_CONTENT_ENCODING: return "protocol";
    default: return "other";
  }
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(const CurlOptions& o) : options_(o) {
    multi_ = lib_.multi_init();
    share_ = lib_.share_init();
    lib_.share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    lib_.share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (o.max_host_connections) lib_.multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, o.max_host_connections);
    if (o.max_total_connections) lib_.multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, o.max_total_connections);
    // Per host:port, so a transfer loads only its own entry (curl parses the
    // whole list for every transfer).
    for (const auto& r : o.resolve) {
      auto last = r.rfind(':');
      if (last == std::string::npos) continue;
      std::string key = text::lower(r.substr(0, last));
      resolve_[key] = lib_.slist_append(resolve_[key], r.c_str());
    }
  }
  ~CurlTransport() override {
    for (auto& [id, t] : transfers_) release(*t);
    for (CURL* e : idle_) lib_.easy_cleanup(e);
    lib_.multi_cleanup(multi_);
    lib_.share_cleanup(share_);
    for (auto& [k, list] : resolve_) lib_.slist_free_all(list);
  }

  void start(uint64_t id, const HttpRequest& req) override {
    auto t = std::make_unique<Transfer>();
    t->id = id;
    t->body_limit = req.body_limit;
    t->header_limit = req.header_limit;
    t->response.url = req.url;
    CURL* e = idle_.empty() ? lib_.easy_init() : idle_.back();
    if (!idle_.empty()) idle_.pop_back();
    t->easy = e;
    lib_.easy_setopt(e, CURLOPT_URL, req.url.c_str());
    lib_.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    lib_.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed by hand
    lib_.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    lib_.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, req.connect_timeout_ms);
    lib_.easy_setopt(e, CURLOPT_TIMEOUT_MS, req.timeout_ms);
    lib_.easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    lib_.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    lib_.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    lib_.easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    lib_.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    lib_.easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    lib_.easy_setopt(e, CURLOPT_SHARE, share_);
    lib_.easy_setopt(e, CURLOPT_PRIVATE, t.get());
    lib_.easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    lib_.easy_setopt(e, CURLOPT_PREREQDATA, t.get());
    // Certificates are judged by the TLS probe; the request itself must
    // still see the page behind a broken chain, so verification is recorded,
    // not enforced, here.
    lib_.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    lib_.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    lib_.easy_setopt(e, CURLOPT_CERTINFO, 0L);
    // No CA store is loaded for requests (it would be parsed per connection).
    lib_.easy_setopt(e, CURLOPT_CAINFO, nullptr);
    lib_.easy_setopt(e, CURLOPT_CAPATH, nullptr);
    Url u;
    if (!resolve_.empty() && parse_url(req.url, u)) {
      auto it = resolve_.find(u.host + ":" + std::to_string(u.port));
      if (it != resolve_.end()) lib_.easy_setopt(e, CURLOPT_RESOLVE, it->second);
    }
    if (req.head_only) lib_.easy_setopt(e, CURLOPT_NOBODY, 1L);
    for (const auto& h : req.headers) t->headers = lib_.slist_append(t->headers, h.c_str());
    if (t->headers) lib_.easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    lib_.multi_add_handle(multi_, e);
    transfers_[id] = std::move(t);
  }

  std::vector<std::pair<uint64_t, Response>> poll(int timeout_ms) override {
    std::vector<std::pair<uint64_t, Response>> done;
    int running = 0;
    lib_.multi_perform(multi_, &running);
    collect(done);
    if (done.empty() && !transfers_.empty()) {
      lib_.multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
      lib_.multi_perform(multi_, &running);
      collect(done);
    }
    return done;
  }

  void cancel(uint64_t id) override {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    release(*it->second);
    transfers_.erase(it);
  }

  size_t in_flight() const override { return transfers_.size(); }

  double sent_at(uint64_t id) const override {
    auto it = transfers_.find(id);
    return it == transfers_.end() ? 0 : it->second->sent_at;
  }

 private:
  void release(Transfer& t) {
    lib_.multi_remove_handle(multi_, t.easy);
    // Handles are reused: a fresh one costs allocations and its buffers, per request.
    lib_.easy_reset(t.easy);
    idle_.push_back(t.easy);
    lib_.slist_free_all(t.headers);
  }

  void collect(std::vector<std::pair<uint64_t, Response>>& done) {
    int left = 0;
    while (CURLMsg* m = lib_.multi_info_read(multi_, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      lib_.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      CURLcode rc = m->data.result;
      long code = 0;
      lib_.easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
      Response r = std::move(t->response);
      r.sent_at = t->sent_at;
      r.status = static_cast<int>(code);
      if (t->too_large) {
        r.error = "too-large: response headers over " + std::to_string(t->header_limit) + " bytes";
      } else if (rc == CURLE_WRITE_ERROR && t->body_cut) {
        r.body_truncated = true;  // we stopped reading on purpose
      } else if (rc != CURLE_OK) {
        r.error = classify(rc) + ": " + lib_.easy_strerror(rc);
      }
      if (!r.error.empty()) r.status = 0;
      uint64_t id = t->id;
      release(*t);
      transfers_.erase(id);
      done.emplace_back(id, std::move(r));
    }
  }

  const Libcurl& lib_ = libcurl();
  CurlOptions options_;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  std::unordered_map<std::string, curl_slist*> resolve_;
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::vector<CURL*> idle_;  // reset handles ready for the next request
};

}  // namespace

std::unique_ptr<HttpTransport> make_curl_transport(const CurlOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace opskit::scan
