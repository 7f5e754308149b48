#pragma once
// Name normalisation: any script in, lower-case ASCII name parts out.
//
//   - Unicode (ICU): NFKC compatibility folding, transliteration of every
//     script to Latin (ICU's Any-Latin), and for Cyrillic also the BGN/PCGN
//     romanisation, so "Сергей" yields both "sergej" and "sergey"; then
//     Latin-ASCII (diacritics) and lower case. Pure ASCII input skips ICU.
//   - Punctuation: '.' and apostrophes join ("S.A." -> "sa", "O'Brien" ->
//     "obrien"); every other non-alphanumeric splits ("al-Assad" -> "al assad";
//     the matcher also tries the joined form "alassad").
//   - Honorifics, particles and legal forms are tagged, not dropped. Legal
//     forms map through one equivalence table across languages to a class
//     (LLC = OOO = Limited Liability Company = GmbH -> "llc"; JSC = AO = PAO
//     = PJSC -> "jsc"; Ltd = Limited -> "ltd"; ...). Multi-word forms are
//     matched longest first.
//   - Tokens with digits are tagged `number` (vessel and aircraft names must
//     match them exactly).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace opskit::screen {

enum class TokenTag : uint8_t { core, particle, honorific, legal, number };
const char* tag_name(TokenTag t);

struct Token {
  std::string text;   // lower-case ASCII
  TokenTag tag = TokenTag::core;
  std::string legal;  // legal-form class when tag == legal
};

struct NormalizedName {
  std::vector<Token> tokens;
  bool transliterated = false;  // came from a non-Latin script
  std::string romanisation;     // "ascii", "latin", "any-latin", "bgn"
  std::string key() const;      // tokens joined by spaces (for allow-lists and dedup)
  std::string legal_class() const;  // first legal class, or empty
  bool has_tag(TokenTag t) const;
};

// Normaliser; the ICU transliterators are built once per instance, which is
// not thread-safe: use one per thread.
class Normalizer {
 public:
  Normalizer();
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // All romanisations of a name (1 for Latin text, 2 for Cyrillic, ...),
  // each tokenised and tagged. Invalid UTF-8 bytes are replaced, never fatal.
  // Input beyond 4 kB is ignored (a name is never that long).
  std::vector<NormalizedName> normalize(std::string_view utf8);
  // The first (default) romanisation.
  NormalizedName normalize_one(std::string_view utf8);
  // The ICU path whatever the input; normalize() skips it for pure ASCII,
  // which it must leave unchanged (the tests compare the two).
  std::vector<NormalizedName> normalize_unicode(std::string_view utf8);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tokenises already-romanised lower-case-able ASCII text and tags the tokens.
NormalizedName tokenize_ascii(std::string_view ascii);

// Phonetic key of one lower-case ASCII token: a consonant skeleton after
// folding spellings that romanisations disagree on (kh/h, ph/f, w/v, c/k/q,
// x/ks, sh/sch, zh/j/dzh, y/i, doubled letters, vowels after the first letter).
std::string phonetic_key(std::string_view token);

// Restricted Damerau-Levenshtein distance, giving up above `limit` (returns limit+1).
int edit_distance(std::string_view a, std::string_view b, int limit);
// Edits allowed for a name part of this length (inline: the score bound
// asks it for every pair of parts).
inline int edit_allowance(size_t length) {
  if (length <= 3) return 0;
  if (length <= 5) return 1;
  if (length <= 9) return 2;
  return 3;
}

// Given-name variant family id from the curated table (0 = none).
int variant_family(std::string_view token);

}  // namespace opskit::screen
