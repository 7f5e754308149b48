#pragma once
// Hash tables for the per-packet state (flows, detector counters, pending
// DNS queries): FlatMap below, with the hashes and allocation it uses.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "net/decode.hpp"

namespace opskit::net {

inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// The keys of the per-packet tables (addresses, ports, DNS names) are
// chosen by whoever sends the packets. With fixed hashes a crafted capture
// could pile its keys onto a few slots, and, as a DNS name's 64-bit hash is
// its identity in the tunnelling counts, make many names count as one. So
// every process draws its own hash key when it starts. No output depends
// on a hash value or on where a key lands (tables are walked in insertion
// order, or what is read from them is sorted), so two runs over the same
// input still write the same bytes.
struct alignas(64) HashKey {  // one cache line: a hash reads only this one
  uint64_t w[6];
};
extern HashKey process_hash_key;
// Replaces the key, for tests that show no output depends on it; tables
// built before the call are not rehashed.
void set_hash_key(const HashKey& key);

// Hash of an address: the two 8-byte halves and the version (bytes past
// an IPv4 address are always zero), multiplied apart and mixed once (it
// runs several times per finished flow).
[[gnu::always_inline]] inline uint64_t hash_ip(const IpAddr& ip, uint64_t seed = 0) {
  uint64_t w[2];
  std::memcpy(w, ip.bytes, 16);
  const HashKey& key = process_hash_key;
  return mix64((((w[0] ^ key.w[0]) + seed) * 0x9E3779B97F4A7C15ull) ^ ((w[1] ^ key.w[1]) * 0xC2B2AE3D27D4EB4Full) ^
               ip.version);
}

// A key of five 64-bit words (addresses, ports and the like, packed by the
// table's owner), built, compared and hashed in registers: no byte-wise
// compare, and no load that straddles the stores that built it.
struct WordKey {
  uint64_t w[5];
  bool operator==(const WordKey& o) const {
    return ((w[0] ^ o.w[0]) | (w[1] ^ o.w[1]) | (w[2] ^ o.w[2]) | (w[3] ^ o.w[3]) | (w[4] ^ o.w[4])) == 0;
  }
};
struct WordKeyHash {
  size_t operator()(const WordKey& k) const {
    const HashKey& key = process_hash_key;
    uint64_t h = (k.w[0] ^ key.w[0]) * 0x9E3779B97F4A7C15ull ^ (k.w[1] ^ key.w[1]) * 0xC2B2AE3D27D4EB4Full ^
                 (k.w[2] ^ key.w[2]) * 0x165667B19E3779F9ull ^ (k.w[3] ^ key.w[3]) * 0xD6E8FEB86659FD93ull ^
                 (k.w[4] ^ key.w[4]) * 0xFF51AFD7ED558CCDull;
    return static_cast<size_t>(mix64(h));
  }
};

// Tables of 2 MiB and more are placed on transparent huge pages: a lookup
// per packet at a random slot otherwise misses the TLB as well as the cache,
// and under a hypervisor the page walk costs more than the miss.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t(1) << 21;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHuge) return std::allocator<T>().allocate(n);
    size_t rounded = (bytes + kHuge - 1) & ~(kHuge - 1);
    void* p = std::aligned_alloc(kHuge, rounded);
    if (!p) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without THP it is ordinary memory
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHuge) std::allocator<T>().deallocate(p, n);
    else std::free(p);
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

// GCC drops a __builtin_prefetch whose address it derives through inlined
// code here (seen with GCC 12 at -O2), so the instruction is written out.
inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

// A hash map for the per-packet tables: the entries (key and value) sit in
// one dense array in insertion order (erase moves the last one into the
// hole), and a separate open-addressing index (linear probing,
// backward-shift erase, at most kMaxLoadPercent full) holds, per slot, the
// entry's number and 32 bits of its hash. A probe reads 8-byte slots, eight
// to a cache line, and touches an entry only when the hash bits match. The
// memory (at the default load) is the entries themselves plus 12 to 20
// bytes each: the slots, and each entry's hash bits kept beside it, so an
// erase finds the moved last entry's slot without hashing its key again.
// Growth rebuilds only the index (entries are never rehashed or zeroed in
// bulk). Keys are small plain structs compared with ==; the hash is
// supplied. Iteration order is the entry order: callers sort before
// anything reaches output. Pointers to values stay valid until the next
// insert or erase.
// A table that erases about as often as it inserts wants a sparser index:
// the loops of a probe, an erase's backward shift and its search for the
// moved entry's slot then mostly stop at their first step, where at 3/4
// their varying lengths cost a mispredicted branch each.
template <class K, class V, class Hash, unsigned kMaxLoadPercent = 75>
class FlatMap {
 public:
  FlatMap() = default;  // allocates nothing until the first insert
  explicit FlatMap(size_t initial) { reserve(initial); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Room for n entries without moving them: the memory is only reserved,
  // its pages are touched as entries arrive (the index, 8 bytes a slot,
  // still grows as needed).
  void reserve(size_t n) {
    entries_.reserve(n);
    tags_.reserve(n);
  }

  V* find(const K& k) { return find(k, Hash{}(k)); }
  // The same with the key's hash already known (worked out once per packet
  // for the prefetch and the lookup).
  V* find(const K& k, size_t hash) {
    if (index_.empty()) return nullptr;
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      uint64_t s = index_[i];
      if (!s) return nullptr;
      if (static_cast<uint32_t>(s >> 32) == tag) {
        Entry& e = entries_[static_cast<uint32_t>(s) - 1];
        if (e.key == k) return &e.value;
      }
    }
  }
  const V* find(const K& k) const { return const_cast<FlatMap*>(this)->find(k); }
  // Starts loading the index line where k would be found, ahead of a lookup.
  void prefetch(const K& k) const { prefetch_hash(Hash{}(k)); }
  void prefetch_hash(size_t hash) const {
    if (!index_.empty()) prefetch_line(index_.data() + (hash & mask_));
  }

  // The value for k, default-constructed when new; `inserted` says which.
  V& upsert(const K& k, bool& inserted) { return upsert(k, Hash{}(k), inserted); }
  V& upsert(const K& k, size_t hash, bool& inserted) {
    if ((entries_.size() + 1) * 100 > index_.size() * kMaxLoadPercent) rebuild(index_.empty() ? 16 : index_.size() * 2);
    const uint32_t tag = static_cast<uint32_t>(hash);
    size_t i = tag & mask_;
    for (;; i = (i + 1) & mask_) {
      uint64_t s = index_[i];
      if (!s) break;
      if (static_cast<uint32_t>(s >> 32) == tag) {
        Entry& e = entries_[static_cast<uint32_t>(s) - 1];
        if (e.key == k) {
          inserted = false;
          return e.value;
        }
      }
    }
    entries_.push_back(Entry{k, V{}});
    tags_.push_back(tag);
    index_[i] = uint64_t(tag) << 32 | entries_.size();  // entry number + 1: 0 marks a free slot
    inserted = true;
    return entries_.back().value;
  }
  V& operator[](const K& k) {
    bool inserted;
    return upsert(k, inserted);
  }

  bool erase(const K& k) { return erase(k, Hash{}(k)); }
  bool erase(const K& k, size_t hash) {
    uint32_t at;
    size_t slot = slot_of(k, hash, at);
    if (slot == kNone) return false;
    remove(slot, at);
    return true;
  }
  // Removes k and hands back its value (nullopt when absent): one probe,
  // where a find and then an erase take two.
  std::optional<V> take(const K& k, size_t hash) {
    uint32_t at;
    size_t slot = slot_of(k, hash, at);
    if (slot == kNone) return std::nullopt;
    std::optional<V> value(std::move(entries_[at].value));
    remove(slot, at);
    return value;
  }

  // Empties the table and gives its memory back.
  void clear() {
    Entries().swap(entries_);
    Tags().swap(tags_);
    Index().swap(index_);
    mask_ = 0;
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& e : entries_) f(e.key, e.value);
  }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : entries_) f(e.key, e.value);
  }

 private:
  struct Entry {
    K key;
    V value;
  };
  using Entries = std::vector<Entry, HugePageAllocator<Entry>>;
  using Index = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  using Tags = std::vector<uint32_t, HugePageAllocator<uint32_t>>;
  static constexpr size_t kNone = ~size_t(0);
  // The index slot holding k (kNone when absent), and its entry's number in `at`.
  size_t slot_of(const K& k, size_t hash, uint32_t& at) const {
    if (index_.empty()) return kNone;
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      uint64_t s = index_[i];
      if (!s) return kNone;
      if (static_cast<uint32_t>(s >> 32) == tag && entries_[static_cast<uint32_t>(s) - 1].key == k) {
        at = static_cast<uint32_t>(s) - 1;
        return i;
      }
    }
  }
  // Frees index slot `slot` and entry `at`: the last entry fills the hole,
  // its slot found from its kept hash bits.
  void remove(size_t slot, uint32_t at) {
    unlink(slot);
    uint32_t last = static_cast<uint32_t>(entries_.size() - 1);
    if (at != last) {
      const uint32_t last_tag = tags_[last];
      const size_t mask = mask_;  // a local: the index stores could alias the member
      size_t j = last_tag & mask;
      while (static_cast<uint32_t>(index_[j]) != last + 1) j = (j + 1) & mask;
      index_[j] = uint64_t(last_tag) << 32 | (at + 1);
      entries_[at] = std::move(entries_[last]);
      tags_[at] = last_tag;
    }
    entries_.pop_back();
    tags_.pop_back();
  }
  // Backward shift: pulls later members of the probe run into the freed slot.
  void unlink(size_t hole) {
    const size_t mask = mask_;
    for (size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
      uint64_t s = index_[j];
      if (!s) break;
      size_t home = static_cast<uint32_t>(s >> 32) & mask;
      // s may move into the hole only if its home is not in (hole, j].
      bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      index_[hole] = s;
      hole = j;
    }
    index_[hole] = 0;
  }
  // A fresh index of n slots over the same entries (their hash bits are in the old slots).
  void rebuild(size_t n) {
    Index old(n, 0);
    old.swap(index_);
    mask_ = n - 1;
    for (uint64_t s : old)
      if (s) {
        size_t i = static_cast<uint32_t>(s >> 32) & mask_;
        while (index_[i]) i = (i + 1) & mask_;
        index_[i] = s;
      }
  }
  Entries entries_;
  Tags tags_;  // tags_[n]: the 32 hash bits of entries_[n]
  Index index_;
  size_t mask_ = 0;
};

}  // namespace opskit::net
