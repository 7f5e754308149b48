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


FlowTable::FlowTable(FlowOptions options, Callback on_done, Callback on_coming)
    : options_(options), on_done_(std::move(on_done)), on_coming_(std::move(on_coming)) {
  // The cap bounds the table: reserving it up front means the records are
  // never copied to a bigger array as the table fills.
  flows_.reserve(std::min<size_t>(options_.max_flows, size_t(1) << 20));
}

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
// The same order, from the start kept beside the pointer.
template <class T>
bool started_before(const T& a, const T& b) {
  if (a.first_ns != b.first_ns) return a.first_ns < b.first_ns;
  return flow_before(a.flow, b.flow);
}
}  // namespace

template <class List>
void FlowTable::report(const List& list) {
  // A record 16 flows ahead, and the state the callbacks look up 8 flows
  // ahead (found through the record, which has arrived by then).
  constexpr size_t kRecordAhead = 16, kComingAhead = 8;
  const size_t n = list.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + kRecordAhead < n) {
      auto at = reinterpret_cast<uintptr_t>(list[i + kRecordAhead].flow);
      for (uintptr_t line = at & ~uintptr_t(63); line < at + sizeof(Flow); line += 64)
        prefetch_line(reinterpret_cast<const void*>(line));
    }
    if (on_coming_ && i + kComingAhead < n) on_coming_(*list[i + kComingAhead].flow);
    on_done_(*list[i].flow);
  }
}

void FlowTable::remove(std::vector<Finished>& done, bool evicting) {
  // Finished flows are reported in first-seen order, never hash order.
  std::sort(done.begin(), done.end(), started_before<Finished>);
  done.erase(std::unique(done.begin(), done.end(), [](const auto& x, const auto& y) { return x.flow == y.flow; }),
             done.end());
  report(done);
  for (const Finished& f : done) flows_.erase(f.key);
  if (evicting) evicted_ += done.size();
}

void FlowTable::remove_where(const std::function<bool(const Flow&)>& pred, bool evicting) {
  std::vector<Finished> done;
  flows_.for_each([&](const Key& k, const Flow& f) {
    if (pred(f)) done.push_back(Finished{f.first_ns, &f, k});
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
  std::vector<Finished> done;
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
      if (now - f->last_ns > timeout(*f)) done.push_back(Finished{f->first_ns, f, k});
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
  struct Started {
    int64_t first_ns;
    const Flow* flow;
  };
  std::vector<Started> all;
  all.reserve(flows_.size());
  flows_.for_each([&](const Key&, const Flow& f) { all.push_back(Started{f.first_ns, &f}); });
  std::sort(all.begin(), all.end(), started_before<Started>);
  report(all);
  flows_.clear();
  wheel_.clear();
  cached_ = nullptr;
  cached_bucket_ = INT64_MIN;
  filed_ = 0;
}

}  // namespace opskit::net
