// Candidate index and scored comparison (see matcher.hpp for the model).
#include "screen/matcher.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <unordered_set>

#include "core/runtime.hpp"

namespace opskit::screen {
namespace {

// FNV-1a over the kind and the text; the variants below hash a joined or
// shortened text without building it (the query path allocates nothing).
uint64_t fnv(uint64_t h, std::string_view s) {
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}
uint64_t key_of(char kind, std::string_view s) {
  uint64_t h = (1469598103934665603ull ^ static_cast<unsigned char>(kind)) * 1099511628211ull;
  return fnv(h, s);
}
// key_of(kind, a + b)
uint64_t key_of_joined(char kind, std::string_view a, std::string_view b) { return fnv(key_of(kind, a), b); }
// key_of(kind, s without its k-th letter)
uint64_t key_of_deleted(char kind, std::string_view s, size_t k) {
  return fnv(key_of(kind, s.substr(0, k)), s.substr(k + 1));
}

// Listed coverage counts less than query coverage: an extra query part costs
// more than a listed part the query leaves out.
constexpr double kListedShare = 0.45;

struct TokInfo {
  std::string text, phon, collapsed;
  TokenTag tag = TokenTag::core;
  int family = 0;
  uint32_t df = 0;
  float weight = 0;
};

// What the score bound needs of a name part, 16 bytes (the bound reads one
// per listed part of every candidate; TokInfo is seven times larger).
struct Shape {
  uint8_t len = 0, phon_len = 0;
  char first = 0, last = 0;
  bool number = false, mined = false;  // mined: part of a mined variant pair
  int16_t family = 0;
  uint32_t collapsed_hash = 0, phon_hash = 0;
  uint32_t letters = 0;  // which letters occur (bit 26: any digit)
  float weight = 0;      // the part's weight in a score (tok_weight)
  uint32_t id = 0;       // interned id (a listed part)
};

// An edit changes whether at most two letters occur at all (a transposition
// none), so two texts whose letter sets differ in k letters are at least
// ceil(k / 2) edits apart.
int min_edits(uint32_t a, uint32_t b) {
  uint32_t x = a ^ b;  // population count without a library call (no -mpopcnt)
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (((x + (x >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
  return (static_cast<int>(x) + 1) / 2;
}

uint32_t hash32(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

Shape shape_of(std::string_view text, std::string_view collapsed, std::string_view phon, TokenTag tag, int family) {
  Shape sh;
  sh.len = static_cast<uint8_t>(std::min<size_t>(text.size(), 255));
  sh.phon_len = static_cast<uint8_t>(std::min<size_t>(phon.size(), 255));
  sh.first = text.empty() ? 0 : text.front();
  sh.last = text.empty() ? 0 : text.back();
  sh.number = tag == TokenTag::number;
  sh.family = static_cast<int16_t>(family);
  sh.collapsed_hash = hash32(collapsed);
  sh.phon_hash = hash32(phon);
  for (char c : text) sh.letters |= c >= 'a' && c <= 'z' ? uint32_t(1) << (c - 'a') : uint32_t(1) << 26;
  return sh;
}

struct Name {
  uint32_t entity = 0;
  uint16_t name_index = 0;
  NameStrength strength = NameStrength::primary;
  bool transliterated = false;
  std::vector<uint32_t> toks;  // interned; honorifics and legal forms left out
  std::string legal;           // legal-form class
  uint32_t shapes = 0;         // its parts' shapes start here in Impl::name_shapes
  // Names with the same parts (one name in several lists, or aliases that
  // differ only in honorifics or legal forms) share this id and their shapes:
  // the score bound, which depends on the parts alone, is worked out once a query.
  uint32_t parts_id = 0;
};

// A query part (not interned: it may be unknown to the lists).
struct QTok {
  std::string text, phon, collapsed;
  uint64_t hash = 0;  // key_of('t', text): its exact key, and its slot in the interning tables
  TokenTag tag = TokenTag::core;
  int family = 0;
  int64_t id = -1;  // interned id when known
  float weight = 0;
  Shape shape;
  // The key-table slots the part votes through, found once per distinct part
  // (a given name or surname recurs across a batch): its exact key (-1: none)
  // and, in voting order, its fuzzy keys (a range of Impl::slot_pool).
  int64_t exact_slot = -1;
  uint32_t fuzzy_begin = 0, fuzzy_end = 0;
  uint32_t qid = UINT32_MAX;  // id in the query-part cache (similarities are cached per qid and listed part)
};

// A query's parts, pointing into the query-part cache.
using QParts = std::vector<const QTok*>;

struct Sim {
  double value = 0;
  const char* reason = "";
  int edits = 0;
};

std::string id_key(std::string_view s) {
  std::string k;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') k.push_back(static_cast<char>(c - 'a' + 'A'));
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) k.push_back(c);
  }
  return k;
}

std::string year_of(std::string_view s) {
  for (size_t i = 0; i + 4 <= s.size(); ++i) {
    bool digits = true;
    for (size_t k = 0; k < 4 && digits; ++k) digits = s[i + k] >= '0' && s[i + k] <= '9';
    bool bounded = (i == 0 || !(s[i - 1] >= '0' && s[i - 1] <= '9')) &&
                   (i + 4 == s.size() || !(s[i + 4] >= '0' && s[i + 4] <= '9'));
    if (digits && bounded) return std::string(s.substr(i, 4));
  }
  return {};
}

// "issa" -> "isa", "mohammed" -> "mohamed": doubled letters are a spelling choice.
std::string collapse_doubles(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s)
    if (o.empty() || o.back() != c) o.push_back(c);
  return o;
}

std::string lower_ascii(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::clear: return "CLEAR";
    case Status::flagged: return "FLAGGED";
    default: return "BLOCKED";
  }
}

Status status_for(double score, const Thresholds& t) {
  if (score >= t.block) return Status::blocked;
  if (score >= t.review) return Status::flagged;
  return Status::clear;
}

nlohmann::json Match::explanation() const {
  nlohmann::json j;
  j["list"] = list;
  j["entity_uid"] = uid;
  j["entity_name"] = entity_name;
  j["entity_type"] = type;
  j["matched_name"] = matched_name;
  j["name_strength"] = strength;
  j["score"] = std::round(score * 10) / 10;
  auto& a = j["alignment"] = nlohmann::json::array();
  for (const auto& p : alignment)
    a.push_back({{"query", p.query}, {"listed", p.listed}, {"reason", p.reason},
                 {"similarity", std::round(p.similarity * 100) / 100}, {"weight", std::round(p.weight * 100) / 100}});
  auto& f = j["factors"] = nlohmann::json::array();
  for (const auto& x : factors)
    f.push_back({{"factor", x.name}, {"contribution", std::round(x.contribution * 10) / 10}, {"detail", x.detail}});
  return j;
}

struct Matcher::Impl {
  std::vector<Entity> entities;
  std::vector<Name> names;
  std::vector<TokInfo> toks;
  std::vector<Shape> shapes;  // per interned part, for the score bound
  // Each name's part shapes side by side: the bound reads one or two cache
  // lines per candidate instead of one per part (and one for the id list).
  std::vector<Shape> name_shapes;
  std::unordered_map<std::string, uint32_t> tok_ids;  // while building
  // Interned parts by the hash of their exact key (key_of('t', text)), open
  // addressing: a query part is hashed once, and that hash finds both its
  // interned id and its key (the string map cost a hash and a miss or two).
  struct IdSlot {
    uint64_t key = 0;
    uint32_t id = 0;  // id + 1; 0 = empty
  };
  std::vector<IdSlot> id_slots;
  size_t id_mask = 0;
  void build_ids() {
    size_t size = 16;
    while (size < toks.size() * 2) size <<= 1;
    id_slots.assign(size, IdSlot{});
    id_mask = size - 1;
    for (uint32_t t = 0; t < toks.size(); ++t) {
      const uint64_t k = key_of('t', toks[t].text);
      size_t i = static_cast<size_t>(k ^ (k >> 29)) & id_mask;
      while (id_slots[i].id != 0) i = (i + 1) & id_mask;
      id_slots[i] = {k, t + 1};
    }
  }
  int64_t find_id(uint64_t k, std::string_view text) const {
    for (size_t i = static_cast<size_t>(k ^ (k >> 29)) & id_mask;; i = (i + 1) & id_mask) {
      const IdSlot& s = id_slots[i];
      if (s.id == 0) return -1;
      if (s.key == k && toks[s.id - 1].text == text) return s.id - 1;
    }
  }
  // key -> (offset, count) in postings: open addressing, built once, read in every query.
  struct KeyTable {
    struct Slot {
      uint64_t key = 0;
      uint32_t offset = 0, count = 0;  // count 0 = empty
    };
    std::vector<Slot> slots;
    size_t mask = 0, used = 0;
    void build(size_t n) {
      size_t size = 16;
      while (size < n * 2) size <<= 1;
      slots.assign(size, Slot{});
      mask = size - 1;
    }
    size_t spread(uint64_t k) const { return static_cast<size_t>(k ^ (k >> 29)) & mask; }
    void put(uint64_t key, uint32_t offset, uint32_t count) {
      size_t i = spread(key);
      while (slots[i].count != 0) i = (i + 1) & mask;
      slots[i] = {key, offset, count};
      ++used;
    }
    const Slot* find(uint64_t key) const {
      if (slots.empty()) return nullptr;
      for (size_t i = spread(key);; i = (i + 1) & mask) {
        if (slots[i].count == 0) return nullptr;
        if (slots[i].key == key) return &slots[i];
      }
    }
    size_t size() const { return used; }
  };
  KeyTable keys;
  // One bit per key hash (256 kB, stays in cache): most fuzzy keys of a name
  // the lists do not know (deletions, phonetic) are in no name, and this
  // answers that without a probe of the 8 MB key table.
  static constexpr unsigned kKeyBits = 21;
  std::vector<uint64_t> key_bits;
  static size_t key_bit(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> (64 - kKeyBits)); }
  bool may_have(uint64_t k) const { return (key_bits[key_bit(k) >> 6] >> (key_bit(k) & 63)) & 1; }
  std::vector<uint32_t> postings;
  std::unordered_map<std::string, std::vector<uint32_t>> identifiers;  // id_key -> entities
  std::unordered_set<uint64_t> mined;  // token-id pairs seen as variants of one another
  // The same pairs, open addressing (0 = empty; a pair key is never 0): the
  // score bound asks for every pair of mined parts, and the node set cost a
  // division and a miss or two per question.
  std::vector<uint64_t> mined_slots;
  size_t mined_mask = 0;
  static size_t mined_spread(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 40); }
  void build_mined() {
    size_t size = 16;
    while (size < mined.size() * 4) size <<= 1;
    mined_slots.assign(size, 0);
    mined_mask = size - 1;
    for (uint64_t k : mined) {
      size_t i = mined_spread(k) & mined_mask;
      while (mined_slots[i] != 0) i = (i + 1) & mined_mask;
      mined_slots[i] = k;
    }
  }
  bool is_mined(uint64_t k) const {
    for (size_t i = mined_spread(k) & mined_mask;; i = (i + 1) & mined_mask) {
      if (mined_slots[i] == k) return true;
      if (mined_slots[i] == 0) return false;
    }
  }
  Normalizer normalizer;
  Thresholds thresholds;
  float unknown_weight = 1, particle_weight = 0.3f;
  uint32_t common_df = 50;
  // scratch
  // Per name: its vote so far and the square root of its total part weight,
  // side by side (one cache line per touched name, not two).
  struct VoteCell {
    float vote = 0, sqrt_norm = 0;
  };
  std::vector<VoteCell> votes;
  std::vector<uint32_t> touched;  // names with a vote: the first touched_n (sized to all names)
  size_t touched_n = 0;
  std::vector<std::pair<float, uint32_t>> ranked_scratch;
  std::vector<uint32_t> cand_scratch;

  uint32_t intern(const Token& t) {
    auto [it, fresh] = tok_ids.emplace(t.text, static_cast<uint32_t>(toks.size()));
    if (fresh) {
      TokInfo info;
      info.text = t.text;
      info.phon = phonetic_key(t.text);
      info.collapsed = collapse_doubles(t.text);
      info.tag = t.tag;
      info.family = variant_family(t.text);
      toks.push_back(std::move(info));
    }
    return it->second;
  }

  void build() {
    for (uint32_t ei = 0; ei < entities.size(); ++ei) {
      const Entity& e = entities[ei];
      for (uint16_t ni = 0; ni < e.names.size(); ++ni) {
        for (auto& nn : normalizer.normalize(e.names[ni].text)) {
          Name n;
          n.entity = ei;
          n.name_index = ni;
          n.strength = e.names[ni].strength;
          n.transliterated = nn.transliterated;
          n.legal = nn.legal_class();
          for (const auto& t : nn.tokens)
            if (t.tag == TokenTag::core || t.tag == TokenTag::particle || t.tag == TokenTag::number)
              n.toks.push_back(intern(t));
          if (n.toks.empty()) continue;
          names.push_back(std::move(n));
        }
      }
      for (const auto& id : e.identifiers) {
        std::string k = id_key(id.value);
        if (k.size() >= 5) identifiers[k].push_back(ei);
      }
    }
    // Rarity: document frequency per name.
    for (const auto& n : names) {
      std::vector<uint32_t> u(n.toks);
      std::sort(u.begin(), u.end());
      u.erase(std::unique(u.begin(), u.end()), u.end());
      for (auto t : u) ++toks[t].df;
    }
    const double total = static_cast<double>(std::max<size_t>(names.size(), 1));
    for (auto& t : toks) t.weight = static_cast<float>(std::log(1.0 + total / std::max<uint32_t>(t.df, 1)));
    unknown_weight = static_cast<float>(std::log(1.0 + total / 2.0));
    common_df = std::max<uint32_t>(40, static_cast<uint32_t>(total * 0.002));
    mine_variants();
    shapes.reserve(toks.size());
    for (uint32_t t = 0; t < toks.size(); ++t) {
      shapes.push_back(shape_of(toks[t].text, toks[t].collapsed, toks[t].phon, toks[t].tag, toks[t].family));
      shapes.back().weight = tok_weight(t);
    }
    build_mined();
    for (uint64_t k : mined) {
      shapes[k >> 32].mined = true;
      shapes[k & 0xffffffffu].mined = true;
    }
    std::unordered_map<std::string, uint32_t> parts_ids;  // the parts' ids as bytes -> name
    for (uint32_t ni = 0; ni < names.size(); ++ni) {
      Name& n = names[ni];
      std::string k(reinterpret_cast<const char*>(n.toks.data()), n.toks.size() * sizeof(uint32_t));
      auto [it, fresh] = parts_ids.emplace(std::move(k), ni);
      n.parts_id = it->second;
      if (!fresh) {
        n.shapes = names[it->second].shapes;
        continue;
      }
      n.shapes = static_cast<uint32_t>(name_shapes.size());
      for (uint32_t t : n.toks) {
        name_shapes.push_back(shapes[t]);
        name_shapes.back().id = t;
      }
    }

    std::vector<std::pair<uint64_t, uint32_t>> entries;
    entries.reserve(names.size() * 16);
    for (uint32_t ni = 0; ni < names.size(); ++ni) {
      const Name& n = names[ni];
      for (size_t i = 0; i < n.toks.size(); ++i) {
        const TokInfo& t = toks[n.toks[i]];
        entries.emplace_back(key_of('t', t.text), ni);
        if (i + 1 < n.toks.size()) entries.emplace_back(key_of('t', t.text + toks[n.toks[i + 1]].text), ni);
        if (t.tag != TokenTag::core) continue;
        if (t.phon.size() >= 2) entries.emplace_back(key_of('p', t.phon), ni);
        if (t.family) entries.emplace_back(key_of('f', std::to_string(t.family)), ni);
        if (t.text.size() >= 4) {
          for (size_t k = 0; k < t.text.size(); ++k) {
            std::string d = t.text;
            d.erase(k, 1);
            entries.emplace_back(key_of('d', d), ni);
          }
        }
      }
    }
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    postings.reserve(entries.size());
    size_t distinct = 0;
    for (size_t i = 0; i < entries.size(); ++i) distinct += i == 0 || entries[i].first != entries[i - 1].first;
    keys.build(distinct);
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      while (j < entries.size() && entries[j].first == entries[i].first) postings.push_back(entries[j++].second);
      keys.put(entries[i].first, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i));
      i = j;
    }
    key_bits.assign((size_t(1) << kKeyBits) / 64, 0);
    for (const auto& sl : keys.slots)
      if (sl.count) key_bits[key_bit(sl.key) >> 6] |= uint64_t(1) << (key_bit(sl.key) & 63);
    votes.assign(names.size(), VoteCell{});
    touched.assign(names.size(), 0);
    for (size_t ni = 0; ni < names.size(); ++ni) {
      float norm = 0.f;
      for (uint32_t t : names[ni].toks) norm += tok_weight(t);
      votes[ni].sqrt_norm = std::sqrt(std::max(norm, 0.1f));
    }
    build_ids();
    tok_ids = {};  // the query path uses id_slots
    qslots.assign(kQuerySlots, QSlot{});
  }

  // Variant pairs from the lists themselves: two names of one entity with the
  // same number of parts that differ in exactly one position, where the two
  // parts share the first letter (Sergei/Sergey, Mokhammad/Muhammad).
  void mine_variants() {
    size_t start = 0;
    while (start < names.size()) {
      size_t end = start;
      while (end < names.size() && names[end].entity == names[start].entity) ++end;
      for (size_t a = start; a < end; ++a)
        for (size_t b = a + 1; b < end; ++b) {
          const auto& x = names[a].toks;
          const auto& y = names[b].toks;
          if (x.size() != y.size() || x.size() < 2) continue;
          int diff = -1, count = 0;
          for (size_t i = 0; i < x.size(); ++i)
            if (x[i] != y[i]) { diff = static_cast<int>(i); ++count; }
          if (count != 1) continue;
          const auto& p = toks[x[diff]];
          const auto& q = toks[y[diff]];
          if (p.tag != TokenTag::core || q.tag != TokenTag::core || p.text[0] != q.text[0]) continue;
          if (p.text.size() < 4 || q.text.size() < 4) continue;
          if (edit_distance(p.text, q.text, 4) > 4) continue;
          mined.insert(pair_key(x[diff], y[diff]));
        }
      start = end;
    }
  }

  static uint64_t pair_key(uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    return (static_cast<uint64_t>(a) << 32) | b;
  }

  // Query parts repeat across a batch (given names, surnames): each distinct
  // part is analysed once, and its similarity to each listed part computed
  // once. Both caches are bounded: when full they start over. Small enough
  // to stay in cache: a name part no other row shares (an all-distinct
  // file) only costs a cold lookup in a large table.
  static constexpr size_t kMaxQueryParts = 16384;
  // The cache: parts by index, found through open addressing on their
  // exact-key hash and tag (8-byte slots, 256 kB: stays in L2). Twice the
  // parts it holds, plus the parts of one 4 kB name (at most 2,048 a
  // romanisation), keeps it under 3/4 full.
  std::vector<QTok> qparts;
  struct QSlot {
    uint32_t check = 0;  // the hash's high bits
    uint32_t index = 0;  // index + 1; 0 = empty
  };
  static constexpr size_t kQuerySlots = size_t(1) << 15;
  std::vector<QSlot> qslots;

  // Similarities by (query part, listed part): an open-addressing table (one
  // cache line per lookup; this is the innermost loop of a batch).
  struct SimCache {
    // 512 kB at most (starts at 64 kB): it must stay in the core's L2 cache.
    // A 32 MB table made every lookup of an all-distinct batch a DRAM miss
    // (half the time of a distinct name); refilling a small one is cheaper.
    static constexpr size_t kMaxSlots = size_t(1) << 14;
    struct Slot {
      uint64_t key = 0;  // stored key + 1; 0 = empty
      Sim sim;
    };
    std::vector<Slot> slots;
    size_t used = 0, mask = 0;
    void clear() {
      std::fill(slots.begin(), slots.end(), Slot{});
      used = 0;
    }
    size_t spread(uint64_t k) const { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 32) & mask; }
    const Sim* find(uint64_t key) const {
      if (slots.empty()) return nullptr;
      for (size_t i = spread(key);; i = (i + 1) & mask) {
        if (slots[i].key == key + 1) return &slots[i].sim;
        if (slots[i].key == 0) return nullptr;
      }
    }
    void insert(const Slot& s) {
      size_t i = spread(s.key - 1);
      while (slots[i].key != 0) i = (i + 1) & mask;
      slots[i] = s;
      ++used;
    }
    void put(uint64_t key, const Sim& s) {
      if (slots.empty()) {
        slots.resize(size_t(1) << 11);
        mask = slots.size() - 1;
      }
      if (used * 10 >= slots.size() * 6) {
        if (slots.size() < kMaxSlots) {  // grow and rehash
          std::vector<Slot> old(slots.size() * 2);
          old.swap(slots);
          mask = slots.size() - 1;
          used = 0;
          for (const auto& o : old)
            if (o.key) insert(o);
        } else {
          clear();
        }
      }
      insert({key + 1, s});
    }
  };
  SimCache sim_cache;

  // The cache index of a query part (made on its first sighting).
  uint32_t query_part(const Token& t) {
    const uint64_t h = key_of('t', t.text);
    const uint64_t k = h ^ ((static_cast<uint64_t>(t.tag) + 1) * 0x9E3779B97F4A7C15ull);
    const uint32_t check = static_cast<uint32_t>(k >> 32);
    size_t i = static_cast<size_t>(k) & (kQuerySlots - 1);
    for (;; i = (i + 1) & (kQuerySlots - 1)) {
      const QSlot& sl = qslots[i];
      if (sl.index == 0) break;
      if (sl.check == check) {
        const QTok& c = qparts[sl.index - 1];
        if (c.tag == t.tag && c.text == t.text) return sl.index - 1;
      }
    }
    // A part seen for the first time: start the loads of its interned id
    // and exact key (cold, megabytes apart) before working out its keys.
    __builtin_prefetch(&id_slots[static_cast<size_t>(h ^ (h >> 29)) & id_mask]);
    __builtin_prefetch(&keys.slots[keys.spread(h)]);
    QTok q;
    q.text = t.text;
    q.hash = h;
    q.tag = t.tag;
    q.phon = phonetic_key(t.text);
    q.collapsed = collapse_doubles(t.text);
    q.family = variant_family(t.text);
    q.shape = shape_of(q.text, q.collapsed, q.phon, q.tag, q.family);
    q.qid = next_qid++;
    q.id = find_id(h, t.text);
    if (q.id >= 0) {
      q.weight = toks[q.id].weight;
      q.shape.mined = shapes[q.id].mined;
    } else {
      q.weight = unknown_weight;
    }
    if (q.tag == TokenTag::particle) q.weight = particle_weight;
    find_slots(q);
    qparts.push_back(std::move(q));
    qslots[i] = {check, static_cast<uint32_t>(qparts.size())};
    return static_cast<uint32_t>(qparts.size() - 1);
  }
  uint32_t next_qid = 0;
  // Between queries only: a query's parts keep their place, qid and
  // slot_pool range until it is done.
  void start_query() {
    if (qparts.size() < kMaxQueryParts) return;
    qparts.clear();
    std::fill(qslots.begin(), qslots.end(), QSlot{});
    sim_cache.clear();  // keyed by qid, which start over
    slot_pool.clear();
    next_qid = 0;
  }

  // A romanisation's parts (honorifics and legal forms left out) as cache
  // indices; pointers only once every part of the query is in (the cache
  // may move while it grows).
  void query_tokens(const NormalizedName& nn, std::vector<uint32_t>& out) {
    out.clear();
    for (const auto& t : nn.tokens) {
      if (t.tag == TokenTag::honorific || t.tag == TokenTag::legal) continue;
      out.push_back(query_part(t));
    }
  }

  // "al" + "assad" as one query part, for each adjacent pair (not cached;
  // made only when a name of the query is scored in full).
  struct Joined {
    bool ready = false;
    std::vector<QTok> parts;
  };
  static const std::vector<QTok>& joined_parts(const QParts& q, Joined& jp) {
    if (jp.ready) return jp.parts;
    jp.ready = true;
    jp.parts.resize(q.size() > 0 ? q.size() - 1 : 0);
    for (size_t i = 0; i + 1 < q.size(); ++i) {
      QTok& j = jp.parts[i];
      j.text.assign(q[i]->text);
      j.text += q[i + 1]->text;
      j.collapsed = collapse_doubles(j.text);
      j.shape = Shape{};
      j.shape.len = static_cast<uint8_t>(std::min<size_t>(j.text.size(), 255));
    }
    return jp.parts;
  }

  // match(): entity -> (score, name), a few entries, so a vector searched in
  // order; each romanisation's parts (cache indices, then pointers) and joined pairs.
  struct Best {
    uint32_t entity;
    double score;
    uint32_t name;
  };
  std::vector<Best> best;
  std::vector<std::pair<uint32_t, double>> bounds_seen;
  std::vector<std::vector<uint32_t>> qidx;
  std::vector<QParts> qtoks;
  std::vector<Joined> qjoined;

  float tok_weight(uint32_t id) const {
    const auto& t = toks[id];
    return t.tag == TokenTag::particle ? particle_weight : t.weight;
  }

  // Fuzzy keys (phonetic, family, deletions) of common words reach thousands
  // of names that their exact key already reached: skip them.
  static constexpr uint32_t kMaxFuzzyPosting = 800;

  // The slot a key votes through, or null when it selects nothing.
  const KeyTable::Slot* voting_slot(uint64_t key, bool fuzzy) const {
    if (!may_have(key)) return nullptr;
    const auto* slot = keys.find(key);
    if (!slot) return nullptr;
    if (slot->count > names.size() / 4 + 1000) return nullptr;  // a word in a quarter of all names selects nothing
    if (fuzzy && slot->count > kMaxFuzzyPosting) return nullptr;
    return slot;
  }
  void vote(uint64_t key, float w) {
    if (const auto* slot = voting_slot(key, false)) vote_slot(*slot, w);
  }
  void vote_slot(const KeyTable::Slot& slot, float w) {
    const uint32_t* p = postings.data() + slot.offset;
    const uint32_t* const end = p + slot.count;
    VoteCell* const v = votes.data();
    uint32_t* const t = touched.data();
    size_t tn = touched_n;
    for (; p != end; ++p) {
      const uint32_t n = *p;
      if (v[n].vote == 0.f) t[tn++] = n;  // weights are positive: a name is added once
      v[n].vote += w;
    }
    touched_n = tn;
  }

  // A query part's voting keys (see candidates()): its exact key, then for a
  // core part the lists do not know well its phonetic, family, deletion and
  // glued-particle keys, in the order they vote.
  std::vector<uint32_t> slot_pool;
  std::vector<uint64_t> key_scratch;
  void find_slots(QTok& t) {
    t.fuzzy_begin = t.fuzzy_end = static_cast<uint32_t>(slot_pool.size());
    if (t.tag == TokenTag::particle) return;
    // A part the lists know exactly needs no fuzzy keys when it is common
    // (its spellings are indexed as they occur); rare parts keep them.
    const bool fuzzy = t.tag == TokenTag::core && !(t.id >= 0 && toks[t.id].df > 20);
    auto& ks = key_scratch;
    ks.clear();
    auto add = [&](uint64_t key) {
      if (may_have(key)) ks.push_back(key);
    };
    if (fuzzy) {
      if (t.phon.size() >= 2) add(key_of('p', t.phon));
      if (t.family) add(key_of('f', std::to_string(t.family)));
      if (t.text.size() >= 4) {
        add(key_of('d', t.text));
        for (size_t k = 0; k < t.text.size(); ++k) {
          if (k > 0 && t.text[k] == t.text[k - 1]) continue;  // same deletion as the previous letter
          add(key_of_deleted('t', t.text, k));
          add(key_of_deleted('d', t.text, k));
        }
      }
      // "alassad": a particle glued to the name.
      for (std::string_view p : {"al", "el", "ul", "bin", "ibn", "abu", "abd", "ben", "van", "von", "de", "mc"}) {
        if (t.text.size() >= p.size() + 3 && t.text.compare(0, p.size(), p) == 0) add(key_of('t', t.text.substr(p.size())));
      }
    }
    // The keys' slots are scattered over a table of megabytes: start every
    // load at once, then look them up in voting order.
    for (uint64_t k : ks) __builtin_prefetch(&keys.slots[keys.spread(k)]);
    if (const auto* s = voting_slot(t.hash, false)) t.exact_slot = s - keys.slots.data();
    for (uint64_t k : ks)
      if (const auto* s = voting_slot(k, true)) slot_pool.push_back(static_cast<uint32_t>(s - keys.slots.data()));
    t.fuzzy_end = static_cast<uint32_t>(slot_pool.size());
  }


  // Names worth scoring in full, best vote first.
  const std::vector<uint32_t>& candidates(const QParts& q, size_t limit) {
    touched_n = 0;
    float total = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      const QTok& t = *q[i];
      total += t.weight;
      if (t.tag == TokenTag::particle) continue;
      float w = t.weight;
      if (t.exact_slot >= 0) vote_slot(keys.slots[t.exact_slot], w);
      if (i + 1 < q.size()) vote(key_of_joined('t', t.text, q[i + 1]->text), w + q[i + 1]->weight);
      for (uint32_t k = t.fuzzy_begin; k < t.fuzzy_end; ++k) vote_slot(keys.slots[slot_pool[k]], w * 0.5f);
    }
    // Rank by vote over the square root of the name's own weight, so a name
    // that is mostly made of the query's parts comes before a long name that
    // merely contains them.
    auto& ranked = ranked_scratch;
    ranked.clear();
    const float floor = total * 0.3f;
    for (size_t k = 0; k < touched_n; ++k) {
      const uint32_t n = touched[k];
      if (votes[n].vote >= floor) ranked.emplace_back(votes[n].vote / votes[n].sqrt_norm, n);
      votes[n].vote = 0.f;
    }
    auto better = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
    if (ranked.size() > limit) {
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(limit), ranked.end(), better);
      ranked.resize(limit);
    }
    auto& out = cand_scratch;
    out.clear();
    for (auto& r : ranked) out.push_back(r.second);
    return out;
  }

  // Similarity of a query part and a listed part (lid < 0: a joined pair of
  // listed parts, `lcollapsed` its doubled letters collapsed).
  Sim similarity(const QTok& q, std::string_view ltext, std::string_view lcollapsed, int64_t lid, bool translit) const {
    if (q.text == ltext) return {1.0, translit ? "translit" : "exact", 0};
    const bool number = q.tag == TokenTag::number || (lid >= 0 && toks[lid].tag == TokenTag::number);
    if (number) return {};
    Sim best;
    if (lid >= 0) {
      const TokInfo& l = toks[lid];
      if (q.family && q.family == l.family) best = {0.95, "variant", 0};
      else if (q.id >= 0 && is_mined(pair_key(static_cast<uint32_t>(q.id), static_cast<uint32_t>(lid))))
        best = {0.93, "variant", 0};
      // Phonetic keys drop vowels: only for parts of nearly the same length (not Putin / Potanin).
      if (best.value == 0 && l.phon.size() >= 3 && q.phon == l.phon && q.text.size() >= 4 && ltext.size() >= 4 &&
          std::abs(static_cast<long>(q.text.size()) - static_cast<long>(ltext.size())) <= 1)
        best = {0.85, "phonetic", 0};
    }
    if (best.value < 0.95 && q.collapsed == lcollapsed) return {0.95, "variant", 0};
    size_t len = std::min(q.text.size(), ltext.size());
    if (len == 1 && q.text[0] == ltext[0] && q.text.size() != ltext.size()) return {0.5, "initial", 0};
    int allow = edit_allowance(len);
    // A typo rarely hits both ends of a word: skip the distance when both differ.
    // (Letter sets that differ too much rule the distance out without computing it.)
    if (allow > 0 && best.value < 0.9 && (q.text[0] == ltext[0] || q.text.back() == ltext.back()) &&
        (lid < 0 || min_edits(q.shape.letters, shapes[lid].letters) <= allow)) {
      int d = edit_distance(q.text, ltext, allow);
      if (d <= allow) {
        double v = 1.0 - 0.1 * d;
        if (v > best.value) best = {v, "edits", d};
      }
    }
    return best;
  }

  Sim cached_similarity(const QTok& q, uint32_t lid, bool translit) {
    Sim s;
    const uint64_t k = (static_cast<uint64_t>(q.qid) << 32) | lid;
    if (const Sim* hit = sim_cache.find(k)) {
      s = *hit;
    } else {
      s = similarity(q, toks[lid].text, toks[lid].collapsed, lid, false);
      sim_cache.put(k, s);
    }
    if (translit && s.value == 1.0 && std::string_view(s.reason) == "exact") s.reason = "translit";
    return s;
  }

  // An upper bound of similarity() for a single pair, from the parts' shapes
  // alone (no edit distance, no cache): each branch of similarity() that can
  // give a value is allowed its value (an edit distance at least the length
  // difference, and at least 1 for different texts).
  double similarity_bound(const QTok& q, const Shape& l) const {
    const uint32_t lid = l.id;
    const Shape& s = q.shape;
    if (s.first != l.first && s.last != l.last) {
      // Most pairs (nine in ten) differ at both ends: then the texts, their
      // doubled-letter forms and a mined pair (which shares its first letter)
      // differ, and an initial or edits need a common end; only a family or
      // a phonetic key (whose folding can change the first letter) remains.
      if (s.number || l.number) return 0;
      if (s.family && s.family == l.family) return 0.95;
      if (l.phon_len >= 3 && s.phon_hash == l.phon_hash && s.len >= 4 && l.len >= 4 && std::abs(s.len - l.len) <= 1)
        return 0.85;
      return 0;
    }
    if (q.id == static_cast<int64_t>(lid)) return 1.0;  // a listed part's text is always interned
    if (s.number || l.number) return 0;
    double b = 0;
    if ((s.family && s.family == l.family) || s.collapsed_hash == l.collapsed_hash) b = 0.95;
    else if (s.mined && l.mined && is_mined(pair_key(static_cast<uint32_t>(q.id), lid)))
      b = 0.93;
    else if (l.phon_len >= 3 && s.phon_hash == l.phon_hash && s.len >= 4 && l.len >= 4 && std::abs(s.len - l.len) <= 1)
      b = 0.85;
    const int len = std::min(s.len, l.len), diff = std::abs(s.len - l.len);
    if (len == 1 && s.first == l.first && diff != 0) b = std::max(b, 0.5);
    const int allow = edit_allowance(static_cast<size_t>(len));
    // The letter-set count (the costly part) only when the cheap tests pass.
    if (allow > 0 && std::max(diff, 1) <= allow && (s.first == l.first || s.last == l.last)) {
      const int edits = std::max({diff, 1, min_edits(s.letters, l.letters)});
      if (edits <= allow) b = std::max(b, 1.0 - 0.1 * edits);
    }
    return b;
  }

  // Whether a joined pair (one side two parts glued) can reach the 0.7 that
  // score_name keeps: equal or doubled-letter-equal texts share their first
  // letter and their letter set; otherwise edits within the allowance.
  static bool joined_possible(size_t alen, char afirst, char alast, uint32_t aletters, size_t blen, char bfirst,
                              char blast, uint32_t bletters) {
    if (afirst != bfirst && alast != blast) return false;  // both ways below need a common end
    if (afirst == bfirst && aletters == bletters) return true;
    const int allow = std::min(edit_allowance(std::min(alen, blen)), 3);
    const int diff = std::max(static_cast<int>(alen > blen ? alen - blen : blen - alen), 1);
    if (allow <= 0 || diff > allow || (afirst != bfirst && alast != blast)) return false;
    return std::max(diff, min_edits(aletters, bletters)) <= allow;
  }

  // An upper bound of score_name(): query parts that no pair can cover
  // (U) stay unmatched, and each listed part is matched at most at its best
  // possible similarity (LM bounds the matched weight). Joined pairs are
  // allowed 1.001 wherever their length test lets score_name try them.
  std::vector<double> lbound;
  std::vector<char> qpossible;
  double score_bound(const QParts& q, double max_bonus, const Name& n) {
    const size_t nq = q.size(), nl = n.toks.size();
    const Shape* ls = name_shapes.data() + n.shapes;
    // Small names (nearly all) on the stack: no fill of a heap vector per candidate.
    double lb_small[16];
    char qp_small[16];
    double* lb = lb_small;
    char* qp = qp_small;
    if (nl > 16) {
      lbound.assign(nl, 0.0);
      lb = lbound.data();
    } else {
      std::fill(lb, lb + nl, 0.0);
    }
    if (nq > 16) {
      qpossible.assign(nq, 0);
      qp = qpossible.data();
    } else {
      std::fill(qp, qp + nq, 0);
    }
    for (size_t i = 0; i < nq; ++i) {
      const QTok& qi = *q[i];
      const Shape& s = qi.shape;
      for (size_t j = 0; j < nl; ++j) {
        const double b = similarity_bound(qi, ls[j]);
        if (b >= 0.5) {
          qp[i] = 1;
          lb[j] = std::max(lb[j], b);
        }
        if (j + 1 < nl) {
          const Shape &a = ls[j], &c = ls[j + 1];
          if (joined_possible(s.len, s.first, s.last, s.letters, a.len + c.len, a.first, c.last, a.letters | c.letters)) {
            qp[i] = 1;
            lb[j] = lb[j + 1] = 1.001;
          }
        }
      }
      if (i + 1 < nq) {
        const Shape& c = q[i + 1]->shape;
        const size_t alen = s.len + c.len;
        const uint32_t aletters = s.letters | c.letters;
        for (size_t j = 0; j < nl; ++j) {
          const Shape& l = ls[j];
          if (joined_possible(alen, s.first, c.last, aletters, l.len, l.first, l.last, l.letters)) {
            qp[i] = qp[i + 1] = 1;
            lb[j] = 1.001;
          }
        }
      }
    }
    double lm = 0, lt = 0, u = 0;
    for (size_t j = 0; j < nl; ++j) {
      const double w = ls[j].weight;
      lt += w;
      lm += w * lb[j];
    }
    for (size_t i = 0; i < nq; ++i)
      if (!qp[i]) u += q[i]->weight;
    if (lm <= 0 || lt <= 0) return 0;
    return 100.0 * (kListedShare * lm / lt + (1 - kListedShare) * lm / (lm / 1.001 + u)) + max_bonus;
  }

  // Scratch for score_name (no allocation per candidate once warm).
  struct Pair {
    double sim;
    int qi, qj;  // query parts [qi, qj]
    int li, lj;  // listed parts [li, lj]
    Sim s;
  };
  std::vector<Pair> pairs;
  std::vector<char> qused, lused;
  std::string joined_scratch, joined_collapsed;

  struct Scored {
    double score = 0;
    std::vector<PartAlignment> alignment;
    std::vector<Factor> factors;
  };

  // What the factors need from the query, worked out once per query and
  // romanisation instead of once per candidate name.
  struct QueryFacts {
    std::string legal;        // legal-form class of the romanisation
    std::string type_text;    // the type as given (lower case), or "entity" for a legal form
    EntityType type = EntityType::unknown;
    std::string year;         // 4-digit year of the given DOB
    std::string country;      // lower case
    double max_bonus = 0;     // the most the factors can add (DOB +5, country +3)
  };
  static QueryFacts facts_of(const Query& query, const NormalizedName& qn) {
    QueryFacts f;
    f.legal = qn.legal_class();
    f.type_text = lower_ascii(query.type);
    if (f.type_text.empty() && !f.legal.empty()) f.type_text = "entity";
    if (!f.type_text.empty()) f.type = parse_type(f.type_text);
    if (!query.dob.empty()) f.year = year_of(query.dob);
    f.country = lower_ascii(query.country);
    f.max_bonus = (f.year.empty() ? 0 : 5) + (query.country.empty() ? 0 : 3);
    return f;
  }
  // lower_ascii(hay).find(needle) != npos, without building the lower-case copy.
  static bool contains_lower(std::string_view hay, std::string_view needle) {
    if (needle.size() > hay.size()) return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
      size_t k = 0;
      while (k < needle.size()) {
        char c = hay[i + k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != needle[k]) break;
        ++k;
      }
      if (k == needle.size()) return true;
    }
    return false;
  }

  // `floor`: the caller drops scores below it, so a name whose score cannot
  // reach it (even with every bonus) returns early with a score below it.
  // Explanations are always worked out in full.
  Scored score_name(const QParts& q, Joined& jp, const NormalizedName& qn,
                    const QueryFacts& facts, const Name& n, const Query& query, bool explain,
                    double floor = -1, bool bounded = false) {
    Scored out;
    const size_t nq = q.size(), nl = n.toks.size();
    // (bounded: the caller has checked the bound already.)
    if (!explain && !bounded && floor > 0 && score_bound(q, facts.max_bonus, n) + 1e-6 < floor) {
      out.score = -1;  // cannot reach floor: the caller drops it
      return out;
    }
    const std::vector<QTok>& qjoined = joined_parts(q, jp);
    pairs.clear();
    for (size_t i = 0; i < nq; ++i) {
      for (size_t j = 0; j < nl; ++j) {
        const TokInfo& l = toks[n.toks[j]];
        Sim s = cached_similarity(*q[i], n.toks[j], qn.transliterated);
        if (s.value >= 0.5) pairs.push_back({s.value, int(i), int(i), int(j), int(j), s});
        // One query part against two joined listed parts ("alassad" / "al assad").
        if (j + 1 < nl && std::abs(static_cast<long>(q[i]->text.size()) -
                                   static_cast<long>(l.text.size() + toks[n.toks[j + 1]].text.size())) <=
                              edit_allowance(q[i]->text.size())) {
          joined_scratch.assign(l.text);
          joined_scratch += toks[n.toks[j + 1]].text;
          joined_collapsed.assign(l.collapsed);
          const std::string& next = toks[n.toks[j + 1]].collapsed;
          joined_collapsed.append(next, !joined_collapsed.empty() && !next.empty() && joined_collapsed.back() == next[0] ? 1 : 0);
          Sim sj = similarity(*q[i], joined_scratch, joined_collapsed, -1, qn.transliterated);
          if (sj.value >= 0.7) {
            sj.reason = "joined";
            pairs.push_back({sj.value + 0.001, int(i), int(i), int(j), int(j + 1), sj});
          }
        }
      }
      if (i + 1 < nq) {
        const QTok& joined = qjoined[i];
        for (size_t j = 0; j < nl; ++j) {
          if (std::abs(static_cast<long>(joined.text.size()) - static_cast<long>(toks[n.toks[j]].text.size())) >
              edit_allowance(joined.text.size()))
            continue;
          Sim sj = similarity(joined, toks[n.toks[j]].text, toks[n.toks[j]].collapsed, -1, qn.transliterated);
          if (sj.value >= 0.7) {
            sj.reason = "joined";
            pairs.push_back({sj.value + 0.001, int(i), int(i + 1), int(j), int(j), sj});
          }
        }
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
      if (a.sim != b.sim) return a.sim > b.sim;
      if (a.qi != b.qi) return a.qi < b.qi;
      return a.li < b.li;
    });
    qused.assign(nq, 0);
    lused.assign(nl, 0);
    double lmatched = 0, qmatched = 0, ltotal = 0, qtotal = 0;
    int common_only = 1, matched_core = 0, exact_all = 1;
    for (const auto& p : pairs) {
      bool free = true;
      for (int i = p.qi; i <= p.qj; ++i) free = free && !qused[i];
      for (int j = p.li; j <= p.lj; ++j) free = free && !lused[j];
      if (!free) continue;
      double w = 0;
      for (int j = p.li; j <= p.lj; ++j) {
        lused[j] = 1;
        w += tok_weight(n.toks[j]);
        const TokInfo& l = toks[n.toks[j]];
        if (l.tag == TokenTag::core || l.tag == TokenTag::number) {
          ++matched_core;
          if (l.df < common_df) common_only = 0;
        }
      }
      for (int i = p.qi; i <= p.qj; ++i) qused[i] = 1;
      if (p.s.value < 1.0) exact_all = 0;
      lmatched += w * p.sim;
      qmatched += w * p.sim;
      qtotal += w;
      if (explain) {
        std::string qt, lt;
        for (int i = p.qi; i <= p.qj; ++i) qt += (qt.empty() ? "" : " ") + q[i]->text;
        for (int j = p.li; j <= p.lj; ++j) lt += (lt.empty() ? "" : " ") + toks[n.toks[j]].text;
        std::string reason = p.s.reason;
        if (reason == "edits") reason = std::to_string(p.s.edits) + (p.s.edits == 1 ? " edit" : " edits");
        out.alignment.push_back({qt, lt, reason, std::min(1.0, p.sim), w});
      }
    }
    for (size_t j = 0; j < nl; ++j) {
      ltotal += tok_weight(n.toks[j]);
      if (!lused[j]) {
        exact_all = 0;
        if (explain) out.alignment.push_back({"", toks[n.toks[j]].text, "missing from query", 0, tok_weight(n.toks[j])});
      }
    }
    int unmatched_numbers = 0;
    for (size_t i = 0; i < nq; ++i) {
      if (qused[i]) continue;
      exact_all = 0;
      qtotal += q[i]->weight;
      if (q[i]->tag == TokenTag::number) ++unmatched_numbers;
      if (explain) out.alignment.push_back({q[i]->text, "", "not in listed name", 0, q[i]->weight});
    }
    for (size_t j = 0; j < nl; ++j)
      if (!lused[j] && toks[n.toks[j]].tag == TokenTag::number) ++unmatched_numbers;
    if (ltotal <= 0 || qtotal <= 0 || matched_core == 0) return out;
    const double lcov = lmatched / ltotal, qcov = qmatched / qtotal;
    double score = 100.0 * (kListedShare * lcov + (1 - kListedShare) * qcov);
    // (The margin covers rounding: the factors are added one at a time.)
    if (!explain && score + facts.max_bonus + 1e-6 < floor) {
      out.score = -1;  // below floor (> 0 here): the caller drops it
      return out;
    }
    // The detail text is built only for an explanation.
    auto factor = [&](const char* name, double c, auto&& detail) {
      score += c;
      if (explain) out.factors.push_back({name, c, detail()});
    };
    if (explain) {
      out.factors.push_back({"listed coverage", 100 * kListedShare * lcov, "share of the listed name's weight matched"});
      out.factors.push_back({"query coverage", 100 * (1 - kListedShare) * qcov, "share of the query's weight matched"});
    }
    if (n.strength == NameStrength::weak) factor("weak alias", -5, [] { return std::string("matched a low-quality alias"); });
    const Entity& e = entities[n.entity];
    if (!facts.legal.empty() && !n.legal.empty() && facts.legal != n.legal)
      factor("legal form", -8, [&] { return facts.legal + " vs " + n.legal; });
    if (unmatched_numbers > 0)
      factor("numbers", -30.0 * std::min(unmatched_numbers, 2), [] { return std::string("numbers in names must match exactly"); });
    if (!facts.type_text.empty()) {
      EntityType t = facts.type;
      bool person_q = t == EntityType::individual, person_l = e.type == EntityType::individual;
      if (t != EntityType::unknown && (person_q != person_l || (t != e.type && !person_q && e.type != EntityType::entity)))
        factor("entity type", -25, [&] { return std::string(type_name(t)) + " vs listed " + type_name(e.type); });
    }
    if (!query.dob.empty() && !e.dates_of_birth.empty()) {
      const std::string& y = facts.year;
      if (!y.empty()) {
        bool hit = false;
        for (const auto& d : e.dates_of_birth) hit = hit || d.find(y) != std::string::npos;
        if (hit) factor("date of birth", 5, [&] { return "year " + y + " listed"; });
        else factor("date of birth", -15, [&] { return "year " + y + " not among listed dates"; });
      }
    }
    if (!query.country.empty()) {
      const std::string& c = facts.country;
      bool any = false, hit = false;
      for (const auto* v : {&e.countries, &e.nationalities, &e.places_of_birth})
        for (const auto& x : *v) {
          any = true;
          hit = hit || contains_lower(x, c);
        }
      if (any) factor("country", hit ? 3 : -5, [&] { return std::string(hit ? "listed country" : "not a listed country"); });
    }
    if (common_only && !exact_all && score >= thresholds.review)
      factor("common words only", thresholds.review - 1 - score,
             [] { return std::string("the match rests on words common across the lists"); });
    out.score = std::clamp(score, 0.0, 100.0);
    return out;
  }
};

Matcher::Matcher(std::vector<Entity> entities) : impl_(std::make_unique<Impl>()) {
  impl_->entities = std::move(entities);
  impl_->build();
}
Matcher::~Matcher() = default;

const std::vector<Entity>& Matcher::entities() const { return impl_->entities; }

MatcherStats Matcher::stats() const {
  return {impl_->entities.size(), impl_->names.size(), impl_->keys.size(), impl_->postings.size()};
}

size_t Matcher::mined_variant_pairs() const { return impl_->mined.size(); }

void Matcher::set_thresholds(const Thresholds& t) { impl_->thresholds = t; }

std::vector<Match> Matcher::match(const Query& q, const MatchOptions& options) {
  Impl& m = *impl_;
  using Best = Impl::Best;
  std::vector<Best>& best = m.best;
  best.clear();
  m.start_query();
  std::vector<NormalizedName> variants = m.normalizer.normalize(q.name);
  // Scratch kept between queries (no allocation once warm).
  auto& qidx = m.qidx;
  auto& qtoks = m.qtoks;
  auto& qjoined = m.qjoined;
  if (qidx.size() < variants.size()) {
    qidx.resize(variants.size());
    qtoks.resize(variants.size());
    qjoined.resize(variants.size());
  }
  std::vector<Impl::QueryFacts> facts;
  facts.reserve(variants.size());
  for (size_t v = 0; v < variants.size(); ++v) {
    m.query_tokens(variants[v], qidx[v]);
    qjoined[v].ready = false;
    facts.push_back(Impl::facts_of(q, variants[v]));
  }
  for (size_t v = 0; v < variants.size(); ++v) {  // the cache no longer moves
    qtoks[v].clear();
    for (uint32_t i : qidx[v]) qtoks[v].push_back(&m.qparts[i]);
  }
  const double floor = options.prune ? options.min_score : -1;
  for (size_t v = 0; v < variants.size(); ++v) {
    if (qtoks[v].empty()) continue;
    const std::vector<uint32_t>& cands = m.candidates(qtoks[v], options.candidates);
    // The candidates are scattered over the index: start all their loads at
    // once (names, then their part shapes and ids) rather than one miss at a time.
    for (uint32_t ni : cands) __builtin_prefetch(&m.names[ni]);
    for (uint32_t ni : cands) {
      const Shape* s = m.name_shapes.data() + m.names[ni].shapes;
      __builtin_prefetch(s);
      if (m.names[ni].toks.size() > 2) __builtin_prefetch(s + 2);  // 3 or more parts: a second cache line
      __builtin_prefetch(m.names[ni].toks.data());
    }
    auto& bounds = m.bounds_seen;  // (parts_id, bound) of this romanisation's candidates so far
    bounds.clear();
    for (uint32_t ni : cands) {
      const Name& n = m.names[ni];
      if (floor > 0) {  // a name that cannot reach floor is dropped before full scoring
        auto seen = std::find_if(bounds.begin(), bounds.end(), [&](const auto& b) { return b.first == n.parts_id; });
        if (seen == bounds.end()) {
          bounds.emplace_back(n.parts_id, m.score_bound(qtoks[v], facts[v].max_bonus, n));
          seen = bounds.end() - 1;
        }
        if (seen->second + 1e-6 < floor) continue;
      }
      auto s = m.score_name(qtoks[v], qjoined[v], variants[v], facts[v], n, q, false, floor, true);
      if (s.score < options.min_score) continue;
      const uint32_t entity = m.names[ni].entity;
      auto it = std::find_if(best.begin(), best.end(), [&](const Best& b) { return b.entity == entity; });
      if (it == best.end()) it = best.insert(best.end(), Best{entity, 0.0, 0});  // as a fresh map slot: {0, 0}
      if (s.score > it->score || (s.score == it->score && ni < it->name)) {
        it->score = s.score;
        it->name = ni;
      }
    }
  }
  std::vector<Match> out;
  auto make = [&](uint32_t entity, uint32_t ni, double score) {
    const Entity& e = m.entities[entity];
    Match mt;
    mt.entity = entity;
    mt.list = e.list;
    mt.uid = e.uid;
    mt.entity_name = e.primary_name;
    mt.type = type_name(e.type);
    mt.score = score;
    if (ni != UINT32_MAX) {
      const Name& n = m.names[ni];
      mt.matched_name = e.names[n.name_index].text;
      mt.strength = strength_name(n.strength);
      // Rebuild the explanation for the winning name and romanisation.
      for (size_t v = 0; v < variants.size() && score >= options.explain_min; ++v) {
        auto s = m.score_name(qtoks[v], qjoined[v], variants[v], facts[v], n, q, true);
        if (std::abs(s.score - score) < 1e-9) {
          mt.alignment = std::move(s.alignment);
          mt.factors = std::move(s.factors);
          break;
        }
      }
    }
    return mt;
  };
  if (!q.identifier.empty()) {
    // "IMO 9187629" and "9187629" are the same identifier.
    std::string k = id_key(q.identifier);
    auto it = m.identifiers.find(k);
    if (it == m.identifiers.end() && k.rfind("IMO", 0) == 0) it = m.identifiers.find(k.substr(3));
    if (it != m.identifiers.end())
      for (uint32_t e : it->second) {
        Match mt = make(e, UINT32_MAX, 100);
        mt.matched_name = m.entities[e].primary_name;
        mt.strength = "identifier";
        mt.factors.push_back({"identifier", 100, "exact identifier match: " + q.identifier});
        out.push_back(std::move(mt));
        best.erase(std::remove_if(best.begin(), best.end(), [&](const Best& b) { return b.entity == e; }), best.end());
      }
  }
  std::vector<std::tuple<double, std::string_view, std::string_view, uint32_t, uint32_t>> ranked;
  for (const auto& b : best) ranked.emplace_back(-b.score, m.entities[b.entity].list, m.entities[b.entity].uid, b.entity, b.name);
  std::sort(ranked.begin(), ranked.end());
  if (ranked.size() > options.limit) ranked.resize(options.limit);
  for (const auto& [neg, list, uid, entity, ni] : ranked) out.push_back(make(entity, ni, -neg));
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.list != b.list) return a.list < b.list;
    return a.uid < b.uid;
  });
  if (out.size() > options.limit) out.resize(options.limit);
  return out;
}

double Matcher::best_score(const Query& q) {
  MatchOptions o;
  o.limit = 1;
  o.min_score = 0;
  auto r = match(q, o);
  return r.empty() ? 0 : r.front().score;
}

}  // namespace opskit::screen
