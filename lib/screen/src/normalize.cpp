// Normalisation: ICU for scripts and compatibility forms, then a fast ASCII
// tokeniser that tags honorifics, particles and legal forms.
#include "screen/normalize.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>

#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

namespace opskit::screen {
namespace {

constexpr size_t kMaxNameBytes = 4096;

const std::unordered_set<std::string_view>& honorifics() {
  static const std::unordered_set<std::string_view> s = {
      "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "sheikh", "shaikh", "sheik", "shaykh", "haji",
      "hajji", "hadji", "alhaj", "alhaji", "mullah", "mulla", "maulana", "maulvi", "mawlawi", "qari", "gen",
      "colonel", "col", "captain", "capt", "lieutenant", "lt", "maj", "brigadier", "admiral", "hon", "honorable",
      "excellency", "rev", "reverend",
      // vessel prefixes
      "mv", "mt", "mty", "fv"};
  return s;
}

const std::unordered_set<std::string_view>& particles() {
  static const std::unordered_set<std::string_view> s = {
      "al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "bin", "ibn", "bint", "binti", "ben", "de", "da",
      "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "dos", "das", "do", "y", "e", "of", "the", "and"};
  return s;
}

// Legal-form equivalence table: token sequence -> class. Longest first wins.
const std::vector<std::pair<std::vector<std::string_view>, std::string_view>>& legal_forms() {
  static const std::vector<std::pair<std::vector<std::string_view>, std::string_view>> t = [] {
    std::vector<std::pair<std::vector<std::string_view>, std::string_view>> v = {
        {{"limited", "liability", "company"}, "llc"},
        {{"limited", "liability", "partnership"}, "llp"},
        {{"obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"}, "llc"},
        {{"tovarystvo", "z", "obmezhenoyu", "vidpovidalnistyu"}, "llc"},
        {{"public", "joint", "stock", "company"}, "jsc"},
        {{"open", "joint", "stock", "company"}, "jsc"},
        {{"closed", "joint", "stock", "company"}, "jsc"},
        {{"joint", "stock", "company"}, "jsc"},
        {{"aktsionernoe", "obshchestvo"}, "jsc"},
        {{"public", "limited", "company"}, "plc"},
        {{"private", "limited", "company"}, "ltd"},
        {{"private", "limited"}, "ltd"},
        {{"pvt", "ltd"}, "ltd"},
        {{"pte", "ltd"}, "ltd"},
        {{"pty", "ltd"}, "ltd"},
        {{"co", "ltd"}, "ltd"},
        {{"company", "limited"}, "ltd"},
        {{"sa", "de", "cv"}, "sa"},
        {{"s", "de", "rl", "de", "cv"}, "llc"},
        {{"s", "de", "rl"}, "llc"},
        {{"sp", "z", "oo"}, "llc"},
        {{"gmbh", "co", "kg"}, "kg"},
        {{"llc"}, "llc"}, {{"ooo"}, "llc"}, {{"tov"}, "llc"}, {{"gmbh"}, "llc"}, {{"sarl"}, "llc"},
        {{"srl"}, "llc"}, {{"sro"}, "llc"}, {{"spzoo"}, "llc"}, {{"mchj"}, "llc"}, {{"too"}, "llc"},
        {{"jsc"}, "jsc"}, {{"ao"}, "jsc"}, {{"pao"}, "jsc"}, {{"pjsc"}, "jsc"}, {{"oao"}, "jsc"},
        {{"zao"}, "jsc"}, {{"cjsc"}, "jsc"}, {{"ojsc"}, "jsc"}, {{"pat"}, "jsc"}, {{"prat"}, "jsc"},
        {{"ag"}, "jsc"}, {{"sa"}, "sa"}, {{"spa"}, "sa"}, {{"nv"}, "sa"}, {{"sal"}, "sa"},
        {{"ltd"}, "ltd"}, {{"limited"}, "ltd"}, {{"bv"}, "ltd"}, {{"plc"}, "plc"},
        {{"inc"}, "corp"}, {{"incorporated"}, "corp"}, {{"corp"}, "corp"}, {{"corporation"}, "corp"},
        {{"co"}, "co"}, {{"company"}, "co"}, {{"cia"}, "co"}, {{"compania"}, "co"},
        {{"fze"}, "fz"}, {{"fzco"}, "fz"}, {{"fzc"}, "fz"}, {{"fzllc"}, "fz"}, {{"dmcc"}, "fz"},
        {{"llp"}, "llp"}, {{"lp"}, "lp"}, {{"kg"}, "kg"}, {{"ab"}, "jsc"}, {{"as"}, "jsc"}, {{"oy"}, "ltd"},
        {{"ug"}, "llc"}, {{"est"}, "est"}, {{"establishment"}, "est"}};
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    return v;
  }();
  return t;
}

// A fixed set of words with a value each, open addressing on an FNV hash:
// one hash and a probe or two in a small table (the node sets and maps cost
// a longer hash, a division and a miss or two, for every part of every name).
template <size_t kSize>
class WordMap {
 public:
  // value 0 = absent
  int get(std::string_view w) const {
    for (size_t i = hash(w) & (kSize - 1);; i = (i + 1) & (kSize - 1)) {
      if (slots_[i].value == 0) return 0;
      if (slots_[i].word == w) return slots_[i].value;
    }
  }
  int& at(std::string_view w) {  // inserted as 0 when absent
    size_t i = hash(w) & (kSize - 1);
    while (slots_[i].value != 0 && slots_[i].word != w) i = (i + 1) & (kSize - 1);
    slots_[i].word = w;
    return slots_[i].value;
  }

 private:
  struct Slot {
    std::string_view word;
    int value = 0;
  };
  static uint32_t hash(std::string_view s) {
    uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h ^ (h >> 15);
  }
  std::array<Slot, kSize> slots_{};
};

// Which of the word tables above a word is in, from one lookup.
enum WordClass : int { kLegalFirst = 1, kParticle = 2, kHonorific = 4 };
struct WordTable : WordMap<512> {  // about 140 words
  WordTable() {
    for (const auto& f : legal_forms()) at(f.first.front()) |= kLegalFirst;
    for (auto w : particles()) at(w) |= kParticle;
    for (auto w : honorifics()) at(w) |= kHonorific;
  }
  int classes(std::string_view w) const { return get(w); }
};

const WordTable& word_table() {
  static const WordTable t;
  return t;
}

// edit_distance(a, b, 1) == 1 in one pass: one substitution, adjacent
// transposition, insertion or deletion turns a into b.
bool one_edit_apart(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  if (a.size() - b.size() > 1) return false;
  size_t i = 0;
  while (i < b.size() && a[i] == b[i]) ++i;
  if (a.size() != b.size()) return a.substr(i + 1) == b.substr(i);  // delete a[i]
  if (i == a.size()) return false;                                   // equal: 0 edits
  if (a.substr(i + 1) == b.substr(i + 1)) return true;               // substitute a[i]
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
}

bool has_digit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

const char* tag_name(TokenTag t) {
  switch (t) {
    case TokenTag::core: return "core";
    case TokenTag::particle: return "particle";
    case TokenTag::honorific: return "honorific";
    case TokenTag::legal: return "legal";
    default: return "number";
  }
}

std::string NormalizedName::key() const {
  std::string k;
  for (const auto& t : tokens) {
    if (!k.empty()) k += ' ';
    k += t.text;
  }
  return k;
}

std::string NormalizedName::legal_class() const {
  for (const auto& t : tokens)
    if (t.tag == TokenTag::legal) return t.legal;
  return {};
}

bool NormalizedName::has_tag(TokenTag tag) const {
  for (const auto& t : tokens)
    if (t.tag == tag) return true;
  return false;
}

NormalizedName tokenize_ascii(std::string_view s) {
  NormalizedName n;
  // The lower-case words, as views of one buffer kept per thread (no
  // allocation per name once warm; the buffer never moves while in use).
  thread_local std::string buf;
  thread_local std::vector<std::string_view> raw;
  buf.clear();
  buf.reserve(s.size());
  raw.clear();
  size_t start = 0;
  for (char ch : s) {
    char c = ch;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      buf.push_back(c);
    } else if (c == '.' || c == '\'' || c == '`') {
      // joins: S.A. -> sa, O'Brien -> obrien
    } else if (buf.size() > start) {
      raw.emplace_back(buf.data() + start, buf.size() - start);
      start = buf.size();
    }
  }
  if (buf.size() > start) raw.emplace_back(buf.data() + start, buf.size() - start);

  const auto& forms = legal_forms();
  const WordTable& words = word_table();
  n.tokens.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    bool matched = false;
    const int classes = words.classes(raw[i]);
    if (classes & kLegalFirst)
    for (const auto& [seq, cls] : forms) {
      if (i + seq.size() > raw.size()) continue;
      bool eq = true;
      for (size_t k = 0; k < seq.size() && eq; ++k) eq = raw[i + k] == seq[k];
      if (!eq) continue;
      // "as" and "co" are also words; only a trailing or multi-word form counts as legal.
      if (seq.size() == 1 && (cls == "jsc" && seq[0] == "as") && i + 1 != raw.size()) break;
      std::string text;
      for (size_t k = 0; k < seq.size(); ++k) text += raw[i + k];
      n.tokens.push_back({text, TokenTag::legal, std::string(cls)});
      i += seq.size();
      matched = true;
      break;
    }
    if (matched) continue;
    Token t{std::string(raw[i]), TokenTag::core, {}};
    if (has_digit(t.text)) t.tag = TokenTag::number;
    else if (classes & kParticle) t.tag = TokenTag::particle;
    else if (classes & kHonorific) t.tag = TokenTag::honorific;
    n.tokens.push_back(std::move(t));
    ++i;
  }
  // "Public JSC", "Open Joint Stock Company": the qualifier belongs to the legal form.
  for (size_t i = 0; i + 1 < n.tokens.size(); ++i) {
    const auto& q = n.tokens[i].text;
    if (n.tokens[i].tag == TokenTag::core && n.tokens[i + 1].tag == TokenTag::legal &&
        (q == "public" || q == "open" || q == "closed" || q == "private" || q == "joint")) {
      n.tokens[i + 1].text = q + n.tokens[i + 1].text;
      n.tokens.erase(n.tokens.begin() + static_cast<long>(i));
      --i;
    }
  }
  // A misspelt long legal word ("Coporation") is still a legal form.
  static const std::pair<std::string_view, std::string_view> long_forms[] = {
      {"corporation", "corp"}, {"incorporated", "corp"}, {"company", "co"}, {"limited", "ltd"},
      {"establishment", "est"}};
  for (auto& t : n.tokens) {
    if (t.tag != TokenTag::core || t.text.size() < 6) continue;
    for (const auto& [word, cls] : long_forms)
      if (one_edit_apart(t.text, word)) {
        t.tag = TokenTag::legal;
        t.legal = std::string(cls);
        break;
      }
  }
  // A name made only of tagged words keeps them as its core ("LIMITED", "AL").
  bool any_core = std::any_of(n.tokens.begin(), n.tokens.end(),
                              [](const Token& t) { return t.tag == TokenTag::core || t.tag == TokenTag::number; });
  if (!any_core)
    for (auto& t : n.tokens)
      if (t.tag != TokenTag::legal || n.tokens.size() == 1) t.tag = TokenTag::core;
  return n;
}

struct Normalizer::Impl {
  std::unique_ptr<icu::Transliterator> any_latin, bgn;
  Impl() {
    UErrorCode status = U_ZERO_ERROR;
    any_latin.reset(icu::Transliterator::createInstance(
        "NFKC; Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) any_latin.reset();
    status = U_ZERO_ERROR;
    bgn.reset(icu::Transliterator::createInstance("NFKC; Russian-Latin/BGN; Any-Latin; Latin-ASCII; Lower",
                                                  UTRANS_FORWARD, status));
    if (U_FAILURE(status)) bgn.reset();
  }
  static std::string run(icu::Transliterator& t, const icu::UnicodeString& in) {
    icu::UnicodeString u(in);
    t.transliterate(u);
    std::string out;
    u.toUTF8String(out);
    return out;
  }
};

Normalizer::Normalizer() : impl_(std::make_unique<Impl>()) {}
Normalizer::~Normalizer() = default;

std::vector<NormalizedName> Normalizer::normalize(std::string_view utf8) {
  if (utf8.size() > kMaxNameBytes) utf8 = utf8.substr(0, kMaxNameBytes);
  std::vector<NormalizedName> out;
  if (is_ascii(utf8)) {
    out.push_back(tokenize_ascii(utf8));
    out.back().romanisation = "ascii";
    return out;
  }
  return normalize_unicode(utf8);
}

std::vector<NormalizedName> Normalizer::normalize_unicode(std::string_view utf8) {
  if (utf8.size() > kMaxNameBytes) utf8 = utf8.substr(0, kMaxNameBytes);
  std::vector<NormalizedName> out;
  // fromUTF8 replaces ill-formed sequences with U+FFFD, which Latin-ASCII drops.
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  bool cyrillic = false, non_latin = false;
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    if (sc == USCRIPT_CYRILLIC) cyrillic = true;
    if (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED) non_latin = true;
    i += U16_LENGTH(c);
  }
  auto add = [&](const std::string& ascii, const char* how) {
    NormalizedName n = tokenize_ascii(ascii);
    n.transliterated = non_latin;
    n.romanisation = how;
    for (const auto& o : out)
      if (o.key() == n.key()) return;
    out.push_back(std::move(n));
  };
  if (impl_->any_latin) add(Impl::run(*impl_->any_latin, u), non_latin ? "any-latin" : "latin");
  if (cyrillic && impl_->bgn) add(Impl::run(*impl_->bgn, u), "bgn");
  if (out.empty()) add(std::string(), "latin");
  return out;
}

NormalizedName Normalizer::normalize_one(std::string_view utf8) { return normalize(utf8).front(); }

std::string phonetic_key(std::string_view s) {
  std::string out;
  auto put = [&](char c) {
    if (out.empty() || out.back() != c) out.push_back(c);
  };
  auto is_vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; };
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    char c = s[i];
    auto at = [&](size_t k) { return i + k < n ? s[i + k] : '\0'; };
    auto starts = [&](std::string_view p) { return s.substr(i, p.size()) == p; };
    if (starts("sch")) { put('S'); i += 3; continue; }
    if (starts("tch")) { put('C'); i += 3; continue; }
    if (starts("dzh")) { put('J'); i += 3; continue; }
    if (starts("ch")) { put('C'); i += 2; continue; }
    if (starts("sh")) { put('S'); i += 2; continue; }
    if (starts("zh") || starts("dj")) { put('J'); i += 2; continue; }
    if (starts("kh")) { put('H'); i += 2; continue; }
    if (starts("gh")) { put('G'); i += 2; continue; }
    if (starts("ph")) { put('F'); i += 2; continue; }
    if (starts("th")) { put('T'); i += 2; continue; }
    if (starts("dh")) { put('D'); i += 2; continue; }
    if (starts("ck")) { put('K'); i += 2; continue; }
    if (starts("ts") || starts("tz")) { put('Z'); i += 2; continue; }
    (void)at;
    if (is_vowel(c)) {
      if (out.empty()) out.push_back('A');
      else if (out.back() != 'A' && i == 0) put('A');
      ++i;
      continue;
    }
    switch (c) {
      case 'c': case 'k': case 'q': put('K'); break;
      case 'x': put('K'); put('S'); break;
      case 'z': case 's': put('S'); break;
      case 'w': case 'v': put('V'); break;
      case 'j': put('J'); break;
      case 'h': if (out.empty()) put('H'); else if (out.back() != 'H') put('H'); break;
      default:
        if (c >= 'a' && c <= 'z') put(static_cast<char>(c - 'a' + 'A'));
        else if (c >= '0' && c <= '9') put(c);
    }
    ++i;
  }
  return out;
}

int edit_distance(std::string_view a, std::string_view b, int limit) {
  int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (std::abs(la - lb) > limit) return limit + 1;
  if (la > 64 || lb > 64) return a == b ? 0 : limit + 1;
  // Three rows rotated by pointer (copying them cost more than the DP itself).
  std::array<int, 66> r0{}, r1{}, r2{};
  int *prev2 = r0.data(), *prev = r1.data(), *cur = r2.data();
  for (int j = 0; j <= lb; ++j) prev[j] = j;
  for (int i = 1; i <= la; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= lb; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    int* spare = prev2;
    prev2 = prev;
    prev = cur;
    cur = spare;
  }
  return std::min(prev[lb], limit + 1);
}

int variant_family(std::string_view token) {
  static const WordMap<1024> table = [] {
    const std::vector<std::vector<std::string_view>> families = {
        {"mohammed", "muhammad", "mohammad", "mohamed", "muhammed", "mohamad", "mehmet", "mohd", "muhamad", "mukhammad", "magomed", "mahomed"},
        {"ahmed", "ahmad", "akhmed", "ahmet", "achmed"},
        {"sergei", "sergey", "serguei", "sergiy", "serhiy", "sergej", "serhii", "sergii"},
        {"alexander", "aleksandr", "alexandre", "alejandro", "oleksandr", "aleksander", "alexandr", "aleksandar", "alessandro"},
        {"yevgeny", "evgeny", "evgenii", "yevgeniy", "evgeniy", "eugene", "yevhen", "evgenij"},
        {"dmitry", "dmitri", "dmitriy", "dimitri", "dmytro", "dmitrij", "dimitry"},
        {"yuri", "yury", "yuriy", "iurii", "yurii", "jurij", "juri"},
        {"mikhail", "michael", "mykhailo", "michail", "mikhael", "mihail", "michel"},
        {"vladimir", "volodymyr", "wladimir", "vladimer"},
        {"andrei", "andrey", "andriy", "andrew", "andrii", "andrej", "andreas"},
        {"nikolai", "nikolay", "mykola", "nicholas", "nikolaj", "nicolas", "nicolai"},
        {"alexei", "aleksei", "alexey", "aleksey", "oleksiy", "oleksii", "aleksej"},
        {"abdul", "abd", "abdel", "abdal", "abdol", "abdoul"},
        {"hussein", "husain", "hussain", "husayn", "hosein", "hossein", "husein", "houssein"},
        {"osama", "usama", "usamah", "oussama"},
        {"yusuf", "yousef", "youssef", "yousuf", "yusef", "joseph", "yosef", "iosif", "josef"},
        {"ibrahim", "ebrahim", "abraham", "ibragim"},
        {"omar", "umar", "omer"},
        {"hasan", "hassan", "hassen", "hasan"},
        {"mahmoud", "mahmud", "mahmood", "makhmud"},
        {"mustafa", "mostafa", "moustafa", "mustapha"},
        {"abdullah", "abdallah", "abdulla", "abdollah"},
        {"abdulrahman", "abdurrahman", "abdelrahman", "abdalrahman", "abdurahman", "abdulrahman", "abderrahmane"},
        {"khalid", "khaled", "chalid"},
        {"saeed", "said", "sayed", "saied", "saiid", "sa'id"},
        {"ivan", "ioann", "jovan", "ivan"},
        {"pyotr", "petr", "peter", "petro", "piotr", "pietro", "pedro"},
        {"pavel", "paul", "pavlo", "paolo", "pablo"},
        {"georgy", "georgiy", "george", "georgii", "heorhiy", "jorge", "giorgi", "yuriy"},
        {"nikita", "mykyta"},
        {"grigory", "grigoriy", "gregory", "hryhoriy", "grigorii"},
        {"anatoly", "anatoliy", "anatolii"},
        {"vitaly", "vitaliy", "vitalii"},
        {"valery", "valeriy", "valerii"},
        {"arkady", "arkadiy", "arkadii"},
        {"igor", "ihor"},
        {"oleg", "oleh"},
        {"tatyana", "tatiana", "tetiana", "tatjana"},
        {"natalia", "natalya", "nataliya", "natalie"},
        {"elena", "yelena", "olena", "helen", "helena", "jelena"},
        {"yulia", "yuliya", "julia", "iuliia", "yuliia"},
        {"olga", "olha"},
        {"ali", "aly"},
        {"jamal", "gamal", "djamal", "jamaal"},
        {"qasim", "kasim", "qassem", "kassem", "qasem", "kasem"},
        {"jafar", "jaafar", "djafar", "jafer"},
        {"faisal", "faysal", "feisal"},
        {"nasser", "nasir", "naser", "nassir", "nasr"},
        {"suleiman", "sulaiman", "sulayman", "solomon", "suleyman", "soliman"},
        {"yahya", "yahia", "yehia", "yahiya"},
        {"zakaria", "zakariya", "zakariyya", "zacharias"},
        {"ismail", "ismael", "ismayil"},
        {"mansour", "mansur", "mansoor"},
        {"muhsin", "mohsen", "mohsin"},
        {"hamid", "hamed", "khamid"},
        {"rashid", "rasheed", "rachid", "rashed"},
        {"walid", "waleed", "oualid"},
        {"khalil", "halil", "khaleel"},
    };
    WordMap<1024> m;  // a name in two families keeps the first
    int id = 1;
    for (const auto& f : families) {
      for (auto n : f)
        if (m.get(n) == 0) m.at(n) = id;
      ++id;
    }
    return m;
  }();
  return table.get(token);
}

}  // namespace opskit::screen
