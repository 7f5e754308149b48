#pragma once
// A flat open-addressing hash map (linear probing, backward-shift erase) for
// the per-packet tables: one allocation for the whole table instead of one
// node per entry, and lookups that touch one or two cache lines. Keys are
// small plain structs compared with ==; the hash is supplied. Iteration
// order is the slot order: callers sort before anything reaches output.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
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

// Hash of an address: the two 8-byte halves and the version (bytes past
// an IPv4 address are always zero).
inline uint64_t hash_ip(const IpAddr& ip, uint64_t seed = 0) {
  uint64_t w[2];
  std::memcpy(w, ip.bytes, 16);
  return mix64(seed ^ w[0] ^ mix64(w[1] ^ ip.version));
}

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

template <class K, class V, class Hash>
class FlatMap {
 public:
  FlatMap() : FlatMap(16) {}  // not explicit: a member of an aggregate built with {} (clang 14 insists)
  explicit FlatMap(size_t initial) { rehash(initial < 16 ? 16 : initial); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  V* find(const K& k) { return find(k, Hash{}(k)); }
  // The same with the key's hash already known (worked out once per packet
  // for the prefetch and the lookup).
  V* find(const K& k, size_t hash) {
    size_t i = hash & mask_;
    for (;;) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == k) return &s.value;
      i = (i + 1) & mask_;
    }
  }
  const V* find(const K& k) const { return const_cast<FlatMap*>(this)->find(k); }
  // Starts loading the slot where k would live (every cache line of it), ahead of a lookup.
  void prefetch(const K& k) const { prefetch_hash(Hash{}(k)); }
  void prefetch_hash(size_t hash) const {
    uintptr_t s = reinterpret_cast<uintptr_t>(slots_.data() + (hash & mask_));
    // Every line the slot touches: it need not start on a line boundary.
    for (uintptr_t line = s & ~uintptr_t(63); line < s + sizeof(Slot); line += 64)
      prefetch_line(reinterpret_cast<const void*>(line));
  }

  // The value for k, default-constructed when new; `inserted` says which.
  V& upsert(const K& k, bool& inserted) { return upsert(k, Hash{}(k), inserted); }
  V& upsert(const K& k, size_t hash, bool& inserted) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    size_t i = hash & mask_;
    for (;;) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = k;
        s.value = V{};
        ++size_;
        inserted = true;
        return s.value;
      }
      if (s.key == k) {
        inserted = false;
        return s.value;
      }
      i = (i + 1) & mask_;
    }
  }
  V& operator[](const K& k) {
    bool inserted;
    return upsert(k, inserted);
  }

  bool erase(const K& k) { return erase(k, Hash{}(k)); }
  bool erase(const K& k, size_t hash) {
    size_t i = hash & mask_;
    for (;;) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == k) break;
      i = (i + 1) & mask_;
    }
    // Backward shift: pull later members of the probe run into the hole.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      Slot& s = slots_[j];
      if (!s.used) break;
      size_t home = Hash{}(s.key) & mask_;
      // s may move into the hole only if its home is not in (hole, j].
      bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      slots_[hole].key = s.key;
      slots_[hole].value = std::move(s.value);
      hole = j;
    }
    slots_[hole].used = false;
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  void clear() {
    Slots().swap(slots_);
    size_ = 0;
    rehash(16);
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& s : slots_)
      if (s.used) f(s.key, s.value);
  }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    bool used = false;  // first, with the key: a probe reads one cache line
    K key{};
    V value{};
  };
  using Slots = std::vector<Slot, HugePageAllocator<Slot>>;
  void rehash(size_t n) {
    Slots old;
    old.swap(slots_);
    slots_.resize(n);
    mask_ = n - 1;
    size_ = 0;
    for (auto& s : old)
      if (s.used) {
        bool inserted;
        upsert(s.key, inserted) = std::move(s.value);
      }
  }
  Slots slots_;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace opskit::net
