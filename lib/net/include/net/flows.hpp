#pragma once
// The connection table: one entry per 5-tuple (originator = the side of the
// first packet seen), packets and IP bytes each way, first/last seen and
// TCP flags. Memory is bounded by `max_flows`: when full, idle flows are
// expired first, then the least recently seen quarter is evicted (each
// evicted flow is still reported, and counted as a flow_evicted weird).
#include <climits>
#include <cstring>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "net/decode.hpp"
#include "net/flat_map.hpp"

namespace opskit::net {

struct Flow {
  IpAddr orig, resp;
  uint16_t orig_port = 0, resp_port = 0;
  uint8_t proto = 0;
  int64_t first_ns = 0, last_ns = 0;
  uint64_t orig_pkts = 0, resp_pkts = 0, orig_bytes = 0, resp_bytes = 0;
  uint8_t orig_flags = 0, resp_flags = 0;  // OR of TCP flags each way
  std::string state() const;               // Zeek-like: S0, SF, REJ, RSTO, OTH ...
  // Attempts that got no answer or were refused (TCP S0/REJ, UDP/ICMP without a reply).
  bool failed() const;
};

struct FlowOptions {
  size_t max_flows = 200000;
  int64_t udp_timeout_ns = 60'000'000'000;
  int64_t tcp_timeout_ns = 300'000'000'000;
};

class FlowTable {
 public:
  using Callback = std::function<void(const Flow&)>;  // called once per finished flow
  // `on_coming`, when given, is called with a flow a few flows before it is
  // reported (to start loading what on_done will touch); it must not change it.
  FlowTable(FlowOptions options, Callback on_done, Callback on_coming = {});
  // Adds a packet; returns the flow and whether the packet went orig -> resp.
  Flow& add(const Decoded& d, bool& from_orig);

  // The canonical 5-tuple as five 64-bit words (smaller endpoint first), so
  // both directions meet: a (2 words), b (2 words), ports | proto | version.
  using Key = WordKey;
  using KeyHash = WordKeyHash;
  // Inline: built in registers and handed on in them (a call returning it
  // through memory stalls the loads that read it back).
  static Key key_of(const Decoded& d) {
    uint64_t s0, s1, d0, d1;
    std::memcpy(&s0, d.src.bytes, 8);
    std::memcpy(&s1, d.src.bytes + 8, 8);
    std::memcpy(&d0, d.dst.bytes, 8);
    std::memcpy(&d1, d.dst.bytes + 8, 8);
    // Any fixed order of the endpoints will do: it only makes both directions one key.
    bool swap = d0 < s0 || (d0 == s0 && (d1 < s1 || (d1 == s1 && d.dport < d.sport)));
    Key k;
    k.w[0] = swap ? d0 : s0;
    k.w[1] = swap ? d1 : s1;
    k.w[2] = swap ? s0 : d0;
    k.w[3] = swap ? s1 : d1;
    uint64_t pa = swap ? d.dport : d.sport, pb = swap ? d.sport : d.dport;
    k.w[4] = pa << 32 | pb << 16 | uint64_t(d.proto) << 8 | d.src.version;
    return k;
  }
  // Starts loading the table slot of a flow (a later packet's, while this
  // one is processed); its key is then passed to add() and not built twice.
  void prefetch(const Key& k) const { flows_.prefetch(k); }
  Flow& add(const Decoded& d, const Key& k, bool& from_orig) { return add(d, k, KeyHash{}(k), from_orig); }
  // The same with the key's hash worked out once (for the prefetch and the lookup).
  static size_t hash_of(const Key& k) { return KeyHash{}(k); }
  void prefetch_hash(size_t hash) const { flows_.prefetch_hash(hash); }
  Flow& add(const Decoded& d, const Key& k, size_t hash, bool& from_orig);
  // Reports and removes flows idle at `now`.
  void expire(int64_t now_ns);
  // Reports and removes every flow (end of input).
  void flush();
  size_t size() const { return flows_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  void make_room(int64_t now_ns);
  void remove_where(const std::function<bool(const Flow&)>& pred, bool evicting);
  // Reports and removes the given flows (each at most once), in first-seen order.
  // A flow to report, with its start beside the pointer: the sort into
  // first-seen order then loads a record only when two starts tie.
  struct Finished {
    int64_t first_ns;
    const Flow* flow;
    Key key;
  };
  void remove(std::vector<Finished>& done, bool evicting);
  // Calls on_done for each flow of `list` (items with a `flow` pointer) in
  // order; the records lie scattered, so each is loaded some flows ahead.
  template <class List>
  void report(const List& list);
  int64_t timeout(const Flow& f) const { return f.proto == proto_tcp ? options_.tcp_timeout_ns : options_.udp_timeout_ns; }
  // Expiry without scanning the table: every flow is filed under the time
  // (in buckets of 2^30 ns) before which it cannot expire, reckoned from its
  // last packet when filed. A sweep looks only at the buckets that are due:
  // a flow idle long enough goes, one that has seen packets since is filed
  // again under its new time. Exact: a flow that can expire is always in a
  // due bucket, since its last-seen time only grows.
  void push_to_wheel(const Key& k, int64_t not_before_ns);  // file without the refile check
  void file(const Key& k, int64_t not_before_ns);
  void refile_all();
  std::map<int64_t, std::vector<Key>> wheel_;
  int64_t cached_bucket_ = INT64_MIN;  // the bucket new flows went to last
  std::vector<Key>* cached_ = nullptr;
  size_t filed_ = 0;  // entries in wheel_ (stale ones included)
  FlowOptions options_;
  Callback on_done_, on_coming_;
  FlatMap<Key, Flow, KeyHash> flows_;
  uint64_t evicted_ = 0;
};

}  // namespace opskit::net
