#pragma once
// The screening data model: list versions and the entities they carry.
// Parsers produce these; the repository stores them (entity details as one
// JSON document per entity); the matcher indexes them.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::screen {

enum class EntityType { individual, entity, vessel, aircraft, unknown };
const char* type_name(EntityType t);
// Accepts list spellings ("Individual", "Ship", "-0-" = entity for OFAC, ...).
EntityType parse_type(std::string_view text);

// How a name is listed: primary, strong alias (a.k.a./f.k.a./good quality)
// or weak alias (OFAC's quoted remarks a.k.a.s, UN "Low" quality).
enum class NameStrength { primary, strong, weak };
const char* strength_name(NameStrength s);

struct EntityName {
  std::string text;
  NameStrength strength = NameStrength::primary;
  std::string kind;  // "aka", "fka", "nka", "low", ... as the list says
};

struct Identifier {
  std::string type;   // passport, national_id, imo, tail_number, tax_id, other
  std::string value;  // as listed
  std::string country;
};

struct Entity {
  std::string list;  // ofac_sdn, ofac_cons, un, uk, eu
  std::string uid;   // stable id within the list (OFAC ent_num, UN reference number, ...)
  EntityType type = EntityType::unknown;
  std::string primary_name;
  std::vector<EntityName> names;  // primary first, then aliases
  std::vector<std::string> addresses, countries, dates_of_birth, places_of_birth, nationalities, programmes;
  std::vector<Identifier> identifiers;
  std::string remarks;

  // A stable SHA-256 of everything listed: an allow-list entry is bound to it,
  // so a changed listing is screened again.
  std::string content_hash() const;
  nlohmann::json to_json() const;
  static Entity from_json(const nlohmann::json& j);  // throws DataError on a malformed document
};

// One parsed list file (or file set): what a load records.
struct ListLoad {
  std::string list;        // ofac_sdn, ofac_cons, un, uk, eu
  std::string source;      // URL or path(s)
  std::string published;   // from the file when it says, else empty
  std::string sha256;      // of the file contents (of the concatenation for file sets)
  std::vector<Entity> entities;
  int64_t name_count() const;
  int64_t skipped = 0;     // records skipped as unusable (for example a UK row with a blank name)
};

// The list kinds this tool knows.
const std::vector<std::string>& known_lists();

}  // namespace opskit::screen
