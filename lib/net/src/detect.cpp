// Window detectors over DNS, packets and flows.
#include "net/detect.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/text.hpp"

namespace opskit::net {

std::string severity_for(int score) {
  if (score >= 90) return "critical";
  if (score >= 70) return "high";
  if (score >= 40) return "medium";
  return "low";
}

int severity_rank(const std::string& s) {
  if (s == "low") return 1;
  if (s == "medium") return 2;
  if (s == "high") return 3;
  if (s == "critical") return 4;
  return 0;
}

namespace {

std::string masked_key(const IpAddr& ip, int prefix) {
  int nbytes = ip.version == 4 ? 4 : 16;
  std::string k(reinterpret_cast<const char*>(ip.bytes), static_cast<size_t>(nbytes));
  for (int i = 0; i < nbytes; ++i) {
    int bits = std::clamp(prefix - i * 8, 0, 8);
    k[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(k[static_cast<size_t>(i)]) & (0xff << (8 - bits)));
  }
  return k;
}

// Which of the 256 counts are not zero, as four 64-bit words.
void nonzero_counts(const uint16_t* counts, uint64_t seen[4]) {
  for (int w = 0; w < 4; ++w) {
    uint64_t bits = 0;
#if defined(__SSE2__)
    // 16 counts a step: narrowed to bytes (saturating, so none becomes 0), compared with 0.
    for (int k = 0; k < 64; k += 16) {
      const auto* v = reinterpret_cast<const __m128i*>(counts + w * 64 + k);
      __m128i bytes = _mm_packus_epi16(_mm_loadu_si128(v), _mm_loadu_si128(v + 1));
      uint32_t zero = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_setzero_si128())));
      bits |= uint64_t(~zero & 0xffff) << k;
    }
#else
    for (int k = 0; k < 64; ++k) bits |= uint64_t(counts[w * 64 + k] != 0) << k;
#endif
    seen[w] = bits;
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + m, v.end());
  double hi = v[m];
  if (v.size() % 2) return hi;
  return (hi + *std::max_element(v.begin(), v.begin() + m)) / 2;
}

// RITA-style regularity of a series: 1 - |Bowley skewness| and a MADM score.
void regularity(std::vector<double> v, double madm_scale, double& skew_score, double& madm_score, double& mid) {
  std::sort(v.begin(), v.end());
  auto q = [&](double f) { return v[static_cast<size_t>(f * (v.size() - 1))]; };
  double q1 = q(0.25), q2 = q(0.5), q3 = q(0.75);
  double bowley = (q3 - q1) > 1e-9 ? (q3 + q1 - 2 * q2) / (q3 - q1) : 0;
  skew_score = 1 - std::fabs(bowley);
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::fabs(x - q2));
  double madm = median(dev);
  madm_score = std::max(0.0, 1 - madm / madm_scale);
  mid = q2;
}


}  // namespace

bool CidrSet::add(const std::string& text_in) {
  std::string t(text::trim(text_in));
  int prefix = -1;
  size_t slash = t.find('/');
  std::string addr = t.substr(0, slash);
  IpAddr ip;
  if (!IpAddr::parse(addr, ip)) return false;
  int maxp = ip.version == 4 ? 32 : 128;
  if (slash != std::string::npos) {
    long long p;
    if (!text::parse_int(t.substr(slash + 1), p) || p < 0 || p > maxp) return false;
    prefix = static_cast<int>(p);
  } else prefix = maxp;
  auto it = std::find_if(by_len_.begin(), by_len_.end(),
                         [&](const Bucket& b) { return b.version == ip.version && b.prefix == prefix; });
  if (it == by_len_.end()) {
    by_len_.push_back(Bucket{ip.version, static_cast<uint8_t>(prefix), {}});
    it = by_len_.end() - 1;
  }
  it->masked.emplace(masked_key(ip, prefix), t);
  return true;
}

std::optional<std::string> CidrSet::match(const IpAddr& ip) const {
  for (const auto& b : by_len_) {
    if (b.version != ip.version) continue;
    auto it = b.masked.find(masked_key(ip, b.prefix));
    if (it != b.masked.end()) return it->second;
  }
  return std::nullopt;
}

void DomainSet::add(const std::string& domain) {
  std::string d = normalize_domain(domain);
  if (d.rfind("*.", 0) == 0) d = d.substr(2);
  if (!d.empty()) names_.insert(d);
}

std::optional<std::string> DomainSet::match(std::string_view name_in) const {
  if (names_.empty()) return std::nullopt;
  std::string name = normalize_domain(name_in);
  std::string_view n(name);
  for (;;) {
    if (names_.count(std::string(n))) return std::string(n);
    size_t dot = n.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    n.remove_prefix(dot + 1);
  }
}

bool Indicators::add(const std::string& kind, const std::string& value) {
  std::string k = text::lower(text::trim(kind));
  if (k == "domain") {
    if (normalize_domain(value).empty()) return false;
    domains.add(value);
    return true;
  }
  if (k == "ip" || k == "cidr") return hosts.add(value);
  return false;
}

bool AllowList::add(const std::string& pattern) {
  std::string p(text::trim(pattern));
  if (p.empty()) return false;
  IpAddr ip;
  if (p.find('/') != std::string::npos || IpAddr::parse(p, ip)) return hosts_.add(p);
  names_.add(p);
  return true;
}

bool AllowList::allows_name(std::string_view name) const { return names_.match(name).has_value(); }

bool AllowList::allows_host(const std::string& address) const {
  IpAddr ip;
  return IpAddr::parse(address, ip) && hosts_.match(ip).has_value();
}

bool AllowList::allows(const Alert& a) const {
  if (allows_name(a.indicator) || allows_host(a.indicator)) return true;
  if (!a.dst.empty() && allows_host(a.dst)) return true;
  if (!a.src.empty() && allows_host(a.src)) return true;
  if (a.evidence.contains("domain") && a.evidence["domain"].is_string() &&
      allows_name(a.evidence["domain"].get<std::string>()))
    return true;
  return false;
}

Detectors::Detectors(const DgaModel* model, const Indicators* indicators, const AllowList* allow,
                     DetectorOptions options, Sink immediate)
    : model_(model), indicators_(indicators), allow_(allow), options_(options), immediate_(std::move(immediate)) {}

void Detectors::report_indicator(const std::string& what, const std::string& matched, const std::string& src,
                                 const std::string& dst, int64_t ts, const std::string& via) {
  Alert a;
  a.first_ns = a.last_ns = ts;
  a.threat_type = "indicator";
  a.indicator = matched;  // one alert per listed indicator and source, however many names match it
  a.src = src;
  a.dst = dst;
  a.score = 95;
  a.severity = severity_for(a.score);
  a.evidence = {{"matched", matched}, {"first_match", what}, {"via", via}};
  if (allow_ && allow_->allows(a)) return;
  if (!reported_.insert(a.key()).second) return;
  immediate_(a);
}

void Detectors::dns(const DnsPacketInfo& info, const DnsMessage& m) {
  if (!first_ns_ || info.ts_ns < first_ns_) first_ns_ = info.ts_ns;
  if (info.ts_ns > last_ns_) last_ns_ = info.ts_ns;
  if (m.qname_wire.len == 0) return;  // no question, or the root
  const IpAddr& client_ip = m.response ? info.dst : info.src;
  const IpAddr& server_ip = m.response ? info.src : info.dst;
  if (indicators_ && !indicators_->domains.empty()) {
    // The analyzer parses with text when there are domain indicators (CNAME targets need it).
    std::string qname = m.qname.empty() ? dns_name_text(m.qname_wire) : m.qname;
    if (auto hit = indicators_->domains.match(qname))
      report_indicator(qname, *hit, client_ip.str(), server_ip.str(), info.ts_ns, "dns.query");
    for (const auto& rr : m.answers)
      if (rr.type == 5)
        if (auto hit = indicators_->domains.match(rr.data))
          report_indicator(rr.data, *hit, client_ip.str(), server_ip.str(), info.ts_ns, "dns.cname");
  }
  if (info.service != DnsService::dns) return;  // mDNS / LLMNR names are local
  NameInfo* n = name_info(m.qname_wire, info.ts_ns);
  if (!n->domain) return;
  DomainStats& s = *n->domain;
  s.last_ns = std::max(s.last_ns, info.ts_ns);
  if (m.response) {
    if (m.rcode == 3) ++s.nxdomain;
    for (const auto& rr : m.answers) s.answer_bytes += rr.rdlength;
    return;
  }
  ++s.queries;
  if (s.clients.size() < 64 && std::find(s.clients.begin(), s.clients.end(), client_ip) == s.clients.end())
    s.clients.push_back(client_ip);
  if (m.qtype == 16 || m.qtype == 10 || m.qtype == 5 || m.qtype == 15 || m.qtype == 255 || m.qtype == 99)
    ++s.odd_types;
  bool new_name = false;
  if (n->sub_len && !n->counted && s.names.size() < options_.max_names_per_domain) {
    s.names.upsert(m.qname_wire.hash, new_name);
    n->counted = true;
  }
  if (new_name) {
    s.sub_bytes += n->sub_len;
    s.max_sub = std::max<size_t>(s.max_sub, n->sub_len);
    s.entropy_sum += n->sub_entropy;
    if (n->sub_len > s.example.size()) {  // the name as asked (not normalised)
      s.example.resize(kDnsMaxNameText);
      s.example.resize(render_dns_name(m.qname_wire, s.example.data()));
    }
  }
}

// Shannon entropy of the bytes. Once per distinct name: only the bytes
// present are summed (a bit set of them, walked in byte order, so the sum
// is the same as over all 256 counts). The counting has no branch: asking
// per byte whether it was seen before mispredicts about once per distinct
// byte (dozens in a tunnel's label), dearer than clearing the 512-byte
// table and finding the bytes present in it afterwards. Each term is the
// same expression whether worked out now or remembered, so the sum is bit
// for bit the same.
double Detectors::entropy(std::string_view s) {
  uint16_t counts[256] = {};  // a name's text is at most kDnsMaxNameText bytes
  for (unsigned char c : s) ++counts[c];
  uint64_t seen[4];
  nonzero_counts(counts, seen);
  const auto len = static_cast<uint32_t>(s.size());
  double e = 0;
  for (int w = 0; w < 4; ++w)
    for (uint64_t m = seen[w]; m; m &= m - 1) {
      uint32_t n = counts[w * 64 + __builtin_ctzll(m)];
      uint32_t key = len << 16 | n;
      EntropyTerm& t = entropy_terms_[(len * 61 + n) & (entropy_terms_.size() - 1)];
      if (t.key != key) {
        double p = double(n) / double(len);
        t = {key, p * std::log2(p)};
      }
      e -= t.term;
    }
  return e;
}

namespace {
constexpr size_t kMaxNames = 1 << 16;             // distinct names remembered
constexpr size_t kMaxNameBytes = size_t(10) << 20;  // and their records' bytes
}  // namespace

void Detectors::prefetch_name(const DnsWireName& name) const {
  if (!name_slots_.empty()) prefetch_line(&name_slots_[name.hash & (name_slots_.size() - 1)]);
}

void Detectors::ArenaFree::operator()(unsigned char* p) const { HugePageAllocator<unsigned char>().deallocate(p, kMaxNameBytes); }

Detectors::NameInfo* Detectors::name_info(const DnsWireName& name, int64_t ts_ns) {
  static_assert(alignof(NameInfo) <= 8 && sizeof(NameInfo) % 8 == 0, "records are laid out in 8-byte units");
  auto record_size = [](size_t wire_len) { return (sizeof(NameInfo) + wire_len + 7) & ~size_t(7); };
  const uint64_t tag = name.hash >> 32 << 32;
  size_t mask = name_slots_.size() - 1, i = name.hash & mask;
  if (!name_slots_.empty())
    for (;; i = (i + 1) & mask) {
      uint64_t slot = name_slots_[i];
      if (!slot) break;
      if ((slot & ~uint64_t(0xffffffff)) != tag) continue;
      auto* n = reinterpret_cast<NameInfo*>(names_.get() + ((slot & 0xffffffff) - 1) * 8);
      if (n->hash == name.hash && n->len == name.len && std::memcmp(n->wire(), name.bytes, name.len) == 0) return n;
    }
  // A name not seen before: its text, normalised (the rendered text has no
  // white space or trailing dot to trim, so normalising is lower-casing).
  // 16 bytes a step, a fixed count and no branch, so the compiler
  // vectorises it (a loop to the text's length it does not).
  char text[kDnsMaxNameText + 16];
  size_t len = render_dns_name(name, text);
  std::memset(text + len, 0, 16);
  for (char* p = text; p < text + len; p += 16)
    for (int k = 0; k < 16; ++k) p[k] = static_cast<char>(p[k] | (static_cast<unsigned char>(p[k] - 'A') < 26 ? 0x20 : 0));
  std::string_view normalized(text, len);
  NameInfo n;
  n.hash = name.hash;
  n.len = name.len;
  DomainSplit split = split_cache_.locate(normalized);
  std::string_view registrable = split.registrable(normalized), suffix = split.suffix(normalized);
  if (!registrable.empty() && !suffix.empty() && suffix != "arpa" && registrable.find(".arpa") == std::string_view::npos) {
    domain_key_.assign(registrable);
    auto it = domains_.find(domain_key_);
    if (it == domains_.end() && domains_.size() < options_.max_domains) {
      it = domains_.emplace(domain_key_, DomainStats{}).first;
      it->second.first_ns = ts_ns;
      if (model_ && model_->trained()) it->second.dga = model_->score_label(split.label(normalized), suffix);
    }
    if (it != domains_.end()) {
      n.domain = &it->second;
      std::string_view sub = split.subdomain(normalized);
      n.sub_len = static_cast<uint16_t>(sub.size());
      if (n.sub_len) n.sub_entropy = entropy(sub);
    }
  }
  // Remember it: start over when full; grow the index at half full (the
  // slot found empty above is where the name goes otherwise).
  size_t size = record_size(name.len);
  if (!names_) names_.reset(HugePageAllocator<unsigned char>().allocate(kMaxNameBytes));  // pages are touched as records fill them
  if (name_count_ >= kMaxNames || names_used_ + size > kMaxNameBytes) {
    names_used_ = name_count_ = 0;
    std::fill(name_slots_.begin(), name_slots_.end(), 0);
  }
  if ((name_count_ + 1) * 2 > name_slots_.size()) {
    name_slots_.assign(name_slots_.empty() ? 1024 : name_slots_.size() * 2, 0);
    mask = name_slots_.size() - 1;
    for (size_t at = 0; at < names_used_;) {
      const auto* r = reinterpret_cast<const NameInfo*>(names_.get() + at);
      size_t k = r->hash & mask;
      while (name_slots_[k]) k = (k + 1) & mask;
      name_slots_[k] = (r->hash >> 32 << 32) | (at / 8 + 1);
      at += record_size(r->len);
    }
  }
  mask = name_slots_.size() - 1;
  for (i = name.hash & mask; name_slots_[i]; i = (i + 1) & mask) {
  }
  name_slots_[i] = tag | (names_used_ / 8 + 1);
  auto* record = new (names_.get() + names_used_) NameInfo(n);
  std::memcpy(names_.get() + names_used_ + sizeof(NameInfo), name.bytes, name.len);
  names_used_ += size;
  ++name_count_;
  return record;
}

std::vector<std::string> Detectors::client_strings(const DomainStats& s) {
  std::vector<std::string> out;
  out.reserve(s.clients.size());
  for (const auto& ip : s.clients) out.push_back(ip.str());
  std::sort(out.begin(), out.end());
  return out;
}

void Detectors::packet(const Decoded& d) {
  if (!d.has_ip) return;
  if (!first_ns_ || d.ts_ns < first_ns_) first_ns_ = d.ts_ns;
  if (d.ts_ns > last_ns_) last_ns_ = d.ts_ns;
  if (indicators_ && !indicators_->hosts.empty()) {
    if (auto hit = indicators_->hosts.match(d.dst)) report_indicator(d.dst.str(), *hit, d.src.str(), d.dst.str(), d.ts_ns, "packet.dst");
    if (auto hit = indicators_->hosts.match(d.src)) report_indicator(d.src.str(), *hit, d.dst.str(), d.src.str(), d.ts_ns, "packet.src");
  }
}

namespace {
constexpr size_t kMaxAttempts = 500000;  // distinct failed (source, target, port) triples tracked
constexpr uint32_t kMaxPerSet = 4096;    // ports per target / hosts per port, per source
bool to_multicast(const Flow& f) {
  return (f.resp.version == 4 && f.resp.bytes[0] >= 224) || (f.resp.version == 6 && f.resp.bytes[0] == 0xff);
}
// Lookups through a resolver are periodic by nature; DNS polling is the tunnel detector's job.
bool to_name_service(const Flow& f) {
  return f.resp_port == 53 || f.resp_port == 5353 || f.resp_port == 137 || f.resp_port == 5355;
}
uint16_t scan_port(const Flow& f) { return f.proto == proto_icmp ? 0 : f.resp_port; }
}  // namespace

void Detectors::prefetch_flow(const Flow& f) const {
  // The index lines of the tables flow(f) looks up under the same
  // conditions (outbound_ holds internal hosts only: small, and hot).
  bool multicast = to_multicast(f);
  if (f.failed() && !multicast) {
    scans_.prefetch(f.orig);
    attempts_.prefetch(Attempt{f.orig, f.resp, scan_port(f)});
    ports_per_target_.prefetch(IpPair{f.orig, f.resp});
    hosts_per_port_.prefetch(IpPort{f.orig, scan_port(f)});
  }
  if (!multicast && !to_name_service(f)) pairs_.prefetch(IpPair{f.orig, f.resp});
}

void Detectors::flow(const Flow& f) {
  // Exfiltration volume: bytes leaving internal hosts for external ones.
  bool orig_internal = f.orig.is_internal(), resp_internal = f.resp.is_internal();
  if (orig_internal && !resp_internal) outbound_[f.orig] += f.orig_bytes;
  else if (!orig_internal && resp_internal) outbound_[f.resp] += f.resp_bytes;
  bool multicast = to_multicast(f);
  // Scans: attempts that got no answer or a reset.
  if (f.failed() && !multicast) {
    size_t source_hash = IpHash{}(f.orig);  // one hash for the lookup and, when new, the insert
    bool inserted;
    ScanSource* s = scans_.find(f.orig, source_hash);
    if (!s && scans_.size() < options_.max_sources) s = &scans_.upsert(f.orig, source_hash, inserted);
    if (s) {
      if (!s->first_ns || f.first_ns < s->first_ns) s->first_ns = f.first_ns;
      s->last_ns = std::max(s->last_ns, f.last_ns);
      uint16_t port = scan_port(f);
      Attempt t{f.orig, f.resp, port};
      if (!attempts_.find(t) && attempts_.size() < kMaxAttempts) {
        bool new_target;
        uint32_t& ports = ports_per_target_.upsert(IpPair{f.orig, f.resp}, new_target);
        if (new_target) ++s->targets;
        uint32_t& hosts = hosts_per_port_[IpPort{f.orig, port}];
        if (ports < kMaxPerSet || hosts < kMaxPerSet) {
          attempts_[t] = 1;
          if (ports < kMaxPerSet) ++ports;
          if (hosts < kMaxPerSet) ++hosts;
        }
      }
    }
  }
  // Beacons: connection starts per host pair (not to multicast).
  if (!multicast && !to_name_service(f)) {
    IpPair key{f.orig, f.resp};
    size_t pair_hash = IpPairHash{}(key);
    PairStats* p = pairs_.find(key, pair_hash);
    if (!p) {
      if (pairs_.size() >= options_.max_pairs) return;
      bool inserted;
      p = &pairs_.upsert(key, pair_hash, inserted);
    }
    if (p->count == 0) {
      p->start0 = f.first_ns;
      p->bytes0 = f.orig_bytes;
    } else {
      if (p->count == 1) {
        p->series = static_cast<uint32_t>(pair_series_.size());
        pair_series_.push_back(PairSeries{{p->start0}, {p->bytes0}});
      }
      PairSeries& series = pair_series_[p->series];
      if (series.starts.size() < 20000) {
        series.starts.push_back(f.first_ns);
        series.bytes.push_back(f.orig_bytes);
      }
    }
    ++p->count;
    p->port = f.resp_port;
    p->proto = f.proto;
  }
}

std::map<std::string, uint64_t> Detectors::outbound_bytes() const {
  std::map<std::string, uint64_t> out;
  outbound_.for_each([&](const IpAddr& ip, uint64_t bytes) { out[ip.str()] += bytes; });
  return out;
}

std::vector<Alert> Detectors::evaluate(const HostHistory& history) const {
  std::vector<Alert> out;
  auto push = [&](Alert a) {
    a.severity = severity_for(a.score);
    if (allow_ && allow_->allows(a)) return;
    out.push_back(std::move(a));
  };
  for (const auto& [domain, s] : domains_) {
    // DGA: the model's score of the registrable label, raised by NXDOMAIN answers.
    if (s.dga >= 0 && model_) {
      double t = model_->threshold();
      double base = s.dga >= t ? 70 + 25 * (s.dga - t) / std::max(1e-9, 1 - t) : 69 * s.dga / std::max(t, 1e-9);
      double nx_share = s.queries ? double(s.nxdomain) / double(s.queries) : 0;
      int score = static_cast<int>(std::lround(std::min(100.0, base + (s.dga >= t ? 5 * nx_share : 0))));
      if (score >= 40) {
        Alert a;
        a.first_ns = s.first_ns;
        a.last_ns = s.last_ns;
        a.threat_type = "dga";
        a.indicator = domain;
        std::vector<std::string> clients = client_strings(s);
        a.src = clients.empty() ? "" : clients.front();
        a.score = score;
        a.evidence = {{"domain", domain}, {"model_score", std::round(s.dga * 10000) / 10000},
                      {"model_threshold", t}, {"queries", s.queries}, {"nxdomain", s.nxdomain},
                      {"clients", clients}};
        push(std::move(a));
      }
    }
    // Tunnelling: volume and shape of the names under one registrable domain.
    size_t unique = s.names.size();
    if (unique >= 5 || s.max_sub >= 60) {
      double avg_len = unique ? double(s.sub_bytes) / unique : 0;
      double avg_ent = unique ? s.entropy_sum / unique : 0;
      double span = std::max(1.0, (s.last_ns - s.first_ns) / 1e9);
      double rate = s.queries / span;
      double f_unique = std::min(1.0, unique / 100.0);
      double f_len = std::clamp((avg_len - 15) / 35, 0.0, 1.0);
      double f_ent = std::clamp((avg_ent - 2.8) / 1.6, 0.0, 1.0);
      double f_types = s.queries ? std::min(1.0, 2.0 * s.odd_types / s.queries) : 0;
      double f_bytes = std::min(1.0, s.sub_bytes / 5000.0);
      double f_long = std::clamp((double(s.max_sub) - 50) / 60, 0.0, 1.0);
      double raw = 0.25 * f_unique + 0.2 * f_len + 0.15 * f_ent + 0.15 * f_types + 0.15 * f_bytes + 0.1 * f_long;
      // A single very long name is exfiltration-shaped even without volume.
      int score = static_cast<int>(std::lround(std::min(100.0, 100 * raw + (f_long >= 1 ? 30 : 0))));
      if (score >= 40) {
        Alert a;
        a.first_ns = s.first_ns;
        a.last_ns = s.last_ns;
        a.threat_type = "dns_tunnel";
        a.indicator = domain;
        std::vector<std::string> clients = client_strings(s);
        a.src = clients.empty() ? "" : clients.front();
        a.score = score;
        a.evidence = {{"domain", domain}, {"unique_names", unique}, {"queries", s.queries},
                      {"avg_subdomain_length", std::round(avg_len * 10) / 10},
                      {"max_subdomain_length", s.max_sub}, {"avg_entropy", std::round(avg_ent * 100) / 100},
                      {"txt_null_cname_mx_queries", s.odd_types}, {"subdomain_bytes", s.sub_bytes},
                      {"answer_bytes", s.answer_bytes}, {"queries_per_second", std::round(rate * 100) / 100},
                      {"example", s.example}};
        push(std::move(a));
      }
    }
  }
  // Beacons, after RITA: interval and size regularity, count and span.
  double window = std::max(1.0, (last_ns_ - first_ns_) / 1e9);
  std::vector<std::pair<const IpPair*, const PairStats*>> beacon_pairs;
  pairs_.for_each([&](const IpPair& k, const PairStats& p) {
    if (p.count >= 2 && static_cast<int>(pair_series_[p.series].starts.size()) >= options_.beacon_min_connections)
      beacon_pairs.emplace_back(&k, &p);
  });
  for (const auto& [key, pp] : beacon_pairs) {
    const PairStats& p = *pp;
    const PairSeries& series = pair_series_[p.series];
    std::vector<int64_t> starts = series.starts;
    std::sort(starts.begin(), starts.end());
    std::vector<double> deltas, sizes;
    for (size_t i = 1; i < starts.size(); ++i) deltas.push_back((starts[i] - starts[i - 1]) / 1e9);
    for (auto b : series.bytes) sizes.push_back(static_cast<double>(b));
    double ts_skew, ts_madm, mid_interval, ds_skew, ds_madm, mid_size;
    regularity(deltas, 30.0, ts_skew, ts_madm, mid_interval);
    regularity(sizes, 32.0, ds_skew, ds_madm, mid_size);
    if (mid_interval < 0.5) continue;  // bursts, not beacons
    double span = (starts.back() - starts.front()) / 1e9;
    double coverage = std::min(1.0, span / window);
    double expected = mid_interval > 0 ? span / mid_interval : 0;
    double count_score = expected > 0 ? std::min(1.0, double(starts.size()) / std::max(expected, 1.0)) : 0;
    count_score *= std::min(1.0, starts.size() / 20.0);
    double ts_score = (ts_skew + ts_madm + count_score) / 3;
    double ds_score = (ds_skew + ds_madm + (mid_size < 1.0 ? 1 : std::min(1.0, 8192.0 / mid_size))) / 3;
    double total = 0.55 * ts_score + 0.25 * ds_score + 0.2 * coverage;
    int score = static_cast<int>(std::lround(100 * total));
    if (score < 40) continue;
    Alert a;
    a.first_ns = starts.front();
    a.last_ns = starts.back();
    a.threat_type = "beacon";
    a.indicator = key->b.str();
    a.src = key->a.str();
    a.dst = a.indicator;
    a.score = score;
    a.evidence = {{"connections", starts.size()}, {"port", p.port}, {"proto", p.proto},
                  {"median_interval_s", std::round(mid_interval * 1000) / 1000},
                  {"interval_skew_score", std::round(ts_skew * 1000) / 1000},
                  {"interval_madm_score", std::round(ts_madm * 1000) / 1000},
                  {"size_skew_score", std::round(ds_skew * 1000) / 1000},
                  {"size_madm_score", std::round(ds_madm * 1000) / 1000},
                  {"median_bytes", mid_size}, {"window_coverage", std::round(coverage * 1000) / 1000}};
    push(std::move(a));
  }
  // Scans and sweeps: per source, the target with the most failed ports and
  // the port with the most failed hosts (ties to the lowest address / port).
  struct Best {
    uint32_t ports = 0, hosts = 0;
    IpAddr target;
    uint16_t sweep_port = 0;
  };
  FlatMap<IpAddr, Best, IpHash> best;
  ports_per_target_.for_each([&](const IpPair& k, uint32_t n) {
    Best& b = best[k.a];
    if (n > b.ports || (n == b.ports && k.b.str() < b.target.str())) {
      b.ports = n;
      b.target = k.b;
    }
  });
  hosts_per_port_.for_each([&](const IpPort& k, uint32_t n) {
    Best& b = best[k.ip];
    if (n > b.hosts || (n == b.hosts && k.port < b.sweep_port)) {
      b.hosts = n;
      b.sweep_port = k.port;
    }
  });
  auto scaled = [](size_t n) {
    return static_cast<int>(std::lround(std::min(100.0, 30 + 25 * std::log10(std::max<size_t>(n, 1)))));
  };
  scans_.for_each([&](const IpAddr& src_ip, const ScanSource& s) {
    const Best* b = best.find(src_ip);
    if (!b || (b->ports < 15 && b->hosts < 15)) return;
    std::string src = src_ip.str();
    if (b->ports >= 15) {
      Alert a;
      a.first_ns = s.first_ns;
      a.last_ns = s.last_ns;
      a.threat_type = "port_scan";
      a.indicator = src;
      a.src = src;
      a.dst = b->target.str();
      a.score = scaled(b->ports);
      a.evidence = {{"target", a.dst}, {"failed_ports", b->ports}, {"targets", s.targets}};
      push(std::move(a));
    }
    if (b->hosts >= 15) {
      Alert a;
      a.first_ns = s.first_ns;
      a.last_ns = s.last_ns;
      a.threat_type = "host_sweep";
      a.indicator = src;
      a.src = src;
      a.score = scaled(b->hosts);
      a.evidence = {{"port", b->sweep_port}, {"hosts", b->hosts}};
      push(std::move(a));
    }
  });
  // Exfiltration: this run's outbound volume against the host's history.
  for (const auto& [host, bytes] : outbound_bytes()) {
    auto h = history.hosts.find(host);
    int score = 0;
    nlohmann::json ev = {{"outbound_bytes", bytes}};
    if (h != history.hosts.end() && h->second.runs >= 3) {
      double sd = std::max({h->second.stddev, h->second.mean * 0.1, 1e6});
      double z = (double(bytes) - h->second.mean) / sd;
      score = static_cast<int>(std::lround(std::clamp(40 + 10 * z, 0.0, 100.0)));
      ev["history_runs"] = h->second.runs;
      ev["history_mean_bytes"] = std::round(h->second.mean);
      ev["history_stddev_bytes"] = std::round(h->second.stddev);
      ev["z"] = std::round(z * 100) / 100;
    } else if (bytes >= static_cast<uint64_t>(options_.exfil_min_bytes)) {
      score = static_cast<int>(std::lround(std::min(85.0, 40 + 15 * std::log10(double(bytes) / options_.exfil_min_bytes + 1) * 3)));
      ev["history_runs"] = h == history.hosts.end() ? 0 : h->second.runs;
    }
    if (score < 40) continue;
    Alert a;
    a.first_ns = first_ns_;
    a.last_ns = last_ns_;
    a.threat_type = "exfiltration";
    a.indicator = host;
    a.src = host;
    a.score = score;
    a.evidence = ev;
    push(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) { return a.key() < b.key(); });
  return out;
}

}  // namespace opskit::net
