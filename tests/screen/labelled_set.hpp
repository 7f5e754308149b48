#pragma once
// A labelled test set generated from real list entities (seeded, so the same
// lists always give the same set): true variants of listed names, each with
// the entity it must find, and look-alike names that are not listed and must
// stay CLEAR.
#include <random>
#include <string>
#include <vector>

#include "screen/model.hpp"

namespace opskit::screen::testing {

struct Labelled {
  std::string query;
  std::string kind;   // order, typo, dropped, title, legal, translit, alias, vessel, variant / lookalike-person, lookalike-org
  std::string list, uid;  // the entity a true variant must find; empty for look-alikes
};

// `per_kind` cases of each variant kind and 2 x per_kind look-alikes.
std::vector<Labelled> make_labelled_set(const std::vector<Entity>& entities, size_t per_kind, uint64_t seed);

}  // namespace opskit::screen::testing
