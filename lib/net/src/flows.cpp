// Connection table with bounded memory.
#include <algorithm>

#include "net/flows.hpp"

namespace opskit::net {

std::string Flow::state() const {
  if (proto != proto_tcp) return resp_pkts ? "SF" : "S0";
  bool syn = orig_flags & tcp_flag::syn, synack = (resp_flags & tcp_flag::syn) && (resp_flags & tcp_flag::ack);
  if (syn && (resp_flags & tcp_flag::rst) && !synack) return "REJ";
  if (syn && !resp_pkts) return "S0";
  if ((orig_flags & tcp_flag::rst)) return "RSTO";
  if ((resp_flags & tcp_flag::rst)) return "RSTR";
  if (syn && synack && (orig_flags & tcp_flag::fin) && (resp_flags & tcp_flag::fin)) return "SF";
  if (syn && synack) return "S1";
  return "OTH";
}

bool Flow::failed() const {
  if (proto == proto_tcp) {
    bool syn = orig_flags & tcp_flag::syn, synack = (resp_flags & tcp_flag::syn) && (resp_flags & tcp_flag::ack);
    return (syn && (resp_flags & tcp_flag::rst) && !synack) || (syn && !resp_pkts);  // REJ or S0
  }
  return (proto == proto_udp || proto == proto_icmp) && !resp_pkts;
}

namespace {
inline uint64_t word(const IpAddr& ip, int i) {
  uint64_t w;
  std::memcpy(&w, ip.bytes + 8 * i, 8);
  return w;
}
// Any fixed order of the endpoints will do: it only makes both directions one key.
inline FlowTable::Key make_key(const IpAddr& s, uint16_t sp, const IpAddr& d, uint16_t dp, uint8_t proto) {
  uint64_t s0 = word(s, 0), s1 = word(s, 1), d0 = word(d, 0), d1 = word(d, 1);
  bool swap = d0 < s0 || (d0 == s0 && (d1 < s1 || (d1 == s1 && dp < sp)));
  FlowTable::Key k;
  k.w[0] = swap ? d0 : s0;
  k.w[1] = swap ? d1 : s1;
  k.w[2] = swap ? s0 : d0;
  k.w[3] = swap ? s1 : d1;
  uint64_t pa = swap ? dp : sp, pb = swap ? sp : dp;
  k.w[4] = pa << 32 | pb << 16 | uint64_t(proto) << 8 | s.version;
  return k;
}
}  // namespace

FlowTable::FlowTable(FlowOptions options, Callback on_done)
    : options_(options), on_done_(std::move(on_done)), flows_(1024) {}

FlowTable::Key FlowTable::key_of(const Decoded& d) { return make_key(d.src, d.sport, d.dst, d.dport, d.proto); }

Flow& FlowTable::add(const Decoded& d, bool& from_orig) { return add(d, key_of(d), from_orig); }

Flow& FlowTable::add(const Decoded& d, const Key& k, size_t hash, bool& from_orig) {
  Flow* found = flows_.find(k, hash);
  if (!found) {
    if (flows_.size() >= options_.max_flows) make_room(d.ts_ns);
    bool inserted;
    Flow& f = flows_.upsert(k, hash, inserted);
    // A SYN-ACK seen first means we missed the SYN: the receiver is the originator.
    bool reverse = d.proto == proto_tcp && (d.tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == (tcp_flag::syn | tcp_flag::ack);
    f.orig = reverse ? d.dst : d.src;
    f.resp = reverse ? d.src : d.dst;
    f.orig_port = reverse ? d.dport : d.sport;
    f.resp_port = reverse ? d.sport : d.dport;
    f.proto = d.proto;
    f.first_ns = d.ts_ns;
    found = &f;
    file(k, d.ts_ns + timeout(f));
  }
  Flow& f = *found;
  from_orig = f.orig_port == d.sport && f.orig == d.src;
  if (from_orig) {
    ++f.orig_pkts;
    f.orig_bytes += d.ip_len;
    f.orig_flags |= d.tcp_flags;
  } else {
    ++f.resp_pkts;
    f.resp_bytes += d.ip_len;
    f.resp_flags |= d.tcp_flags;
  }
  if (d.ts_ns > f.last_ns) f.last_ns = d.ts_ns;
  return f;
}

namespace {
bool flow_before(const Flow* a, const Flow* b) {
  if (a->first_ns != b->first_ns) return a->first_ns < b->first_ns;
  if (!(a->orig == b->orig)) return a->orig < b->orig;
  if (!(a->resp == b->resp)) return a->resp < b->resp;
  if (a->orig_port != b->orig_port) return a->orig_port < b->orig_port;
  if (a->resp_port != b->resp_port) return a->resp_port < b->resp_port;
  return a->proto < b->proto;
}
}  // namespace

void FlowTable::remove(std::vector<std::pair<const Flow*, Key>>& done, bool evicting) {
  // Finished flows are reported in first-seen order, never hash order.
  std::sort(done.begin(), done.end(), [](const auto& x, const auto& y) { return flow_before(x.first, y.first); });
  done.erase(std::unique(done.begin(), done.end(), [](const auto& x, const auto& y) { return x.first == y.first; }),
             done.end());
  for (auto& [f, k] : done) on_done_(*f);
  for (auto& [f, k] : done) flows_.erase(k);
  if (evicting) evicted_ += done.size();
}

void FlowTable::remove_where(const std::function<bool(const Flow&)>& pred, bool evicting) {
  std::vector<std::pair<const Flow*, Key>> done;
  flows_.for_each([&](const Key& k, const Flow& f) {
    if (pred(f)) done.emplace_back(&f, k);
  });
  remove(done, evicting);
}

void FlowTable::push_to_wheel(const Key& k, int64_t not_before) {
  int64_t bucket = not_before >> 30;
  if (bucket != cached_bucket_) {
    cached_ = &wheel_[bucket];
    cached_bucket_ = bucket;
  }
  cached_->push_back(k);
  ++filed_;
}

void FlowTable::file(const Key& k, int64_t not_before) {
  push_to_wheel(k, not_before);
  // Entries of flows already gone wait for their bucket; when the capture's
  // clock runs backwards (concatenated files) that may be never: start over.
  if (filed_ > 2 * options_.max_flows + 1024) refile_all();
}

void FlowTable::refile_all() {
  std::vector<std::pair<Key, int64_t>> all;
  all.reserve(flows_.size());
  flows_.for_each([&](const Key& k, const Flow& f) { all.emplace_back(k, f.last_ns + timeout(f)); });
  wheel_.clear();
  cached_ = nullptr;
  cached_bucket_ = INT64_MIN;
  filed_ = 0;
  for (auto& [k, t] : all) push_to_wheel(k, t);
}

void FlowTable::expire(int64_t now) {
  // The same flows go as when every flow is tested for now - last_ns > timeout.
  std::vector<std::pair<const Flow*, Key>> done;
  std::vector<std::pair<Key, int64_t>> again;
  int64_t due = now >> 30;
  while (!wheel_.empty() && wheel_.begin()->first <= due) {
    std::vector<Key> keys = std::move(wheel_.begin()->second);
    if (wheel_.begin()->first == cached_bucket_) {
      cached_ = nullptr;
      cached_bucket_ = INT64_MIN;
    }
    wheel_.erase(wheel_.begin());
    filed_ -= keys.size();
    for (const Key& k : keys) {
      const Flow* f = flows_.find(k);
      if (!f) continue;  // evicted, or expired through another entry
      int64_t t = f->last_ns + timeout(*f);
      if (now - f->last_ns > timeout(*f)) done.emplace_back(f, k);
      else again.emplace_back(k, t);
    }
  }
  for (auto& [k, t] : again) push_to_wheel(k, t);
  remove(done, false);
}

void FlowTable::make_room(int64_t now) {
  expire(now);
  if (flows_.size() < options_.max_flows) return;
  std::vector<int64_t> seen;
  seen.reserve(flows_.size());
  flows_.for_each([&](const Key&, const Flow& f) { seen.push_back(f.last_ns); });
  size_t quarter = std::max<size_t>(1, seen.size() / 4);
  std::nth_element(seen.begin(), seen.begin() + quarter, seen.end());
  int64_t cut = seen[quarter];
  remove_where([&](const Flow& f) { return f.last_ns <= cut; }, true);
}

void FlowTable::flush() {
  // Report in first-seen order so output is deterministic.
  std::vector<const Flow*> all;
  all.reserve(flows_.size());
  flows_.for_each([&](const Key&, const Flow& f) { all.push_back(&f); });
  std::sort(all.begin(), all.end(), flow_before);
  for (const Flow* f : all) on_done_(*f);
  flows_.clear();
  wheel_.clear();
  cached_ = nullptr;
  cached_bucket_ = INT64_MIN;
  filed_ = 0;
}

}  // namespace opskit::net
