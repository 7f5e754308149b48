#include "labelled_set.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include "screen/normalize.hpp"

namespace opskit::screen::testing {
namespace {

const std::vector<std::string> kSurnames = {
    "smith", "johnson", "williams", "brown", "jones", "miller", "davis", "wilson", "taylor", "thomas", "moore",
    "jackson", "thompson", "white", "harris", "clark", "lewis", "robinson", "walker", "young", "allen", "wright",
    "scott", "green", "baker", "nelson", "carter", "mitchell", "roberts", "turner", "phillips", "campbell", "parker",
    "evans", "edwards", "collins", "stewart", "morris", "cooper", "peterson", "bailey", "kelly", "howard", "ward",
    "watson", "brooks", "bennett", "gray", "hughes", "price", "sanders", "myers", "foster", "fischer", "weber",
    "schneider", "becker", "hoffmann", "koch", "richter", "klein", "wolf", "neumann", "dubois", "lefebvre", "moreau",
    "laurent", "garnier", "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "lindqvist", "nakamura"};

const std::vector<std::string> kWords = {
    "maple", "river", "summit", "harbor", "orchid", "falcon", "meadow", "granite", "cedar", "willow", "aurora",
    "beacon", "lantern", "prairie", "harvest", "compass", "horizon", "quartz", "tundra", "sapphire", "coral",
    "thistle", "juniper", "canyon", "glacier", "monarch", "pinnacle", "riverside", "sunrise", "evergreen"};

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string text_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

bool ascii_letters(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

std::string typo(std::string w, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> pos(1, w.size() - 2);
  size_t p = pos(rng);
  switch (rng() % 4) {
    case 0: w[p] = static_cast<char>('a' + rng() % 26); break;                    // substitute
    case 1: w.erase(p, 1); break;                                                  // drop
    case 2: w.insert(p, 1, static_cast<char>('a' + rng() % 26)); break;            // insert
    default: std::swap(w[p], w[p + 1 < w.size() ? p + 1 : p - 1]); break;         // transpose
  }
  return w;
}

// Spelling changes that romanisations disagree on.
std::string respell(std::string w) {
  std::string l = w;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct R { const char* from; const char* to; };
  static const R rules[] = {{"iy", "y"}, {"ii", "y"}, {"kh", "h"}, {"ou", "u"}, {"yu", "iu"}, {"ya", "ia"},
                            {"ei", "ey"}, {"ey", "ei"}, {"zh", "j"}, {"ts", "tz"}, {"mm", "m"}, {"ss", "s"},
                            {"oo", "u"}, {"ee", "i"}, {"ph", "f"}, {"q", "k"}, {"w", "v"}, {"j", "dj"}};
  for (const auto& r : rules) {
    auto p = l.find(r.from);
    if (p != std::string::npos && p > 0) return l.substr(0, p) + r.to + l.substr(p + std::strlen(r.from));
  }
  return l;
}

}  // namespace

std::vector<Labelled> make_labelled_set(const std::vector<Entity>& entities, size_t per_kind, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<const Entity*> people, orgs, vessels, russians;
  std::set<std::string> listed_keys;
  for (const auto& e : entities) {
    for (const auto& n : e.names) listed_keys.insert(tokenize_ascii(n.text).key());
    auto w = words(e.primary_name);
    if (w.size() < 2 || !std::all_of(w.begin(), w.end(), [](const std::string& x) {
          return std::all_of(x.begin(), x.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        }))
      continue;
    if (e.type == EntityType::individual) {
      people.push_back(&e);
      for (const auto& p : e.programmes)
        if (p.find("RUSSIA") != std::string::npos || p.find("UKRAINE") != std::string::npos ||
            p.find("BELARUS") != std::string::npos || p == "Russia")
          russians.push_back(&e);
    } else if (e.type == EntityType::vessel) {
      vessels.push_back(&e);
    } else if (e.type == EntityType::entity) {
      orgs.push_back(&e);
    }
  }
  auto pick = [&](const std::vector<const Entity*>& v) { return v[rng() % v.size()]; };
  std::vector<Labelled> out;
  auto add = [&](const std::string& q, const char* kind, const Entity* e) {
    out.push_back({q, kind, e ? e->list : "", e ? e->uid : ""});
  };
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> to_cyrillic(icu::Transliterator::createInstance("Latin-Cyrillic", UTRANS_FORWARD, st));
  for (size_t i = 0; i < per_kind && !people.empty(); ++i) {
    // order: "LAST, First Middle" -> "First Middle LAST"
    {
      const Entity* e = pick(people);
      std::string n = e->primary_name;
      auto comma = n.find(',');
      std::vector<std::string> w = comma == std::string::npos ? words(n) : words(n.substr(comma + 1));
      if (comma != std::string::npos) for (auto& x : words(n.substr(0, comma))) w.push_back(x);
      else std::reverse(w.begin(), w.end());
      add(join(w), "order", e);
    }
    // typo in the longest part
    {
      const Entity* e = pick(people);
      auto w = words(e->primary_name);
      auto it = std::max_element(w.begin(), w.end(), [](auto& a, auto& b) { return a.size() < b.size(); });
      if (it->size() >= 5 && ascii_letters(*it)) *it = typo(*it, rng);
      add(join(w), "typo", e);
    }
    // dropped middle part (names of three or more parts)
    {
      const Entity* e = pick(people);
      auto w = words(e->primary_name);
      if (w.size() >= 3) w.erase(w.begin() + 1 + static_cast<long>(rng() % (w.size() - 2)));
      add(join(w), "dropped", e);
    }
    // title
    {
      const Entity* e = pick(people);
      static const char* titles[] = {"Dr.", "Mr", "Sheikh", "General", "Haji"};
      add(std::string(titles[rng() % 5]) + " " + e->primary_name, "title", e);
    }
    // respelled part (romanisation differences)
    {
      const Entity* e = pick(people);
      auto w = words(e->primary_name);
      auto& x = w[rng() % w.size()];
      if (x.size() >= 4) x = respell(x);
      add(join(w), "variant", e);
    }
    // Cyrillic script for names from Russia/Ukraine/Belarus programmes
    if (!russians.empty() && to_cyrillic) {
      const Entity* e = pick(russians);
      std::string lower = e->primary_name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      icu::UnicodeString u = icu::UnicodeString::fromUTF8(lower);
      to_cyrillic->transliterate(u);
      std::string cyr;
      u.toUTF8String(cyr);
      add(cyr, "translit", e);
    }
    // alias
    {
      const Entity* e = pick(people);
      const auto& n = e->names[rng() % e->names.size()];
      add(n.text, "alias", e);
    }
    // organisations: legal form spelled another way, or typo
    if (!orgs.empty()) {
      const Entity* e = pick(orgs);
      std::string n = e->primary_name;
      struct R { std::vector<std::string> from; std::vector<std::string> to; };
      static const R forms[] = {{{"LIMITED", "LIABILITY", "COMPANY"}, {"LLC"}}, {{"LLC"}, {"Limited", "Liability", "Company"}},
                                {{"OOO"}, {"LLC"}}, {{"JOINT", "STOCK", "COMPANY"}, {"JSC"}}, {{"AO"}, {"JSC"}},
                                {{"LIMITED"}, {"Ltd"}}, {{"LTD"}, {"Limited"}}, {{"LTD."}, {"Limited"}},
                                {{"S.A."}, {"SA"}}, {{"CO."}, {"Company"}}};
      auto w = words(n);
      bool changed = false;
      for (const auto& f : forms) {
        for (size_t k = 0; k + f.from.size() <= w.size() && !changed; ++k) {
          if (!std::equal(f.from.begin(), f.from.end(), w.begin() + static_cast<long>(k))) continue;
          w.erase(w.begin() + static_cast<long>(k), w.begin() + static_cast<long>(k + f.from.size()));
          w.insert(w.begin() + static_cast<long>(k), f.to.begin(), f.to.end());
          changed = true;
        }
        if (changed) break;
      }
      if (changed) n = join(w);
      if (!changed) {
        auto w = words(n);
        auto it = std::max_element(w.begin(), w.end(), [](auto& a, auto& b) { return a.size() < b.size(); });
        if (it->size() >= 6 && ascii_letters(*it)) *it = typo(*it, rng);
        n = join(w);
      }
      add(n, "legal", e);
    }
    if (!vessels.empty()) {
      const Entity* e = pick(vessels);
      add((rng() % 2 ? "MV " : "") + e->primary_name, "vessel", e);
    }
  }
  // Look-alikes: a listed name with its rarest-looking (longest) part replaced
  // by an unrelated common surname or word ("George Habash" -> "George Bush").
  for (size_t i = 0; i < 2 * per_kind; ++i) {
    bool person = i % 2 == 0 || orgs.empty();
    const Entity* e = pick(person ? people : orgs);
    auto w = words(e->primary_name);
    if (w.size() > 3) {  // near-miss of a short name: the "George Bush / George Habash" case
      --i;
      continue;
    }
    auto it = std::max_element(w.begin(), w.end(), [](auto& a, auto& b) { return a.size() < b.size(); });
    const auto& pool = person ? kSurnames : kWords;
    std::string repl = pool[rng() % pool.size()];
    if (edit_distance(text_lower(*it), repl, 3) <= 3 || phonetic_key(text_lower(*it)) == phonetic_key(repl)) {
      --i;
      continue;
    }
    *it = repl;
    std::string q = join(w);
    if (listed_keys.count(tokenize_ascii(q).key())) {
      --i;
      continue;
    }
    add(q, person ? "lookalike-person" : "lookalike-org", nullptr);
  }
  return out;
}

}  // namespace opskit::screen::testing
