#include "screen/model.hpp"

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"

namespace opskit::screen {

const char* type_name(EntityType t) {
  switch (t) {
    case EntityType::individual: return "individual";
    case EntityType::entity: return "entity";
    case EntityType::vessel: return "vessel";
    case EntityType::aircraft: return "aircraft";
    default: return "unknown";
  }
}

EntityType parse_type(std::string_view raw) {
  std::string t = text::lower(text::trim(raw));
  if (t == "individual" || t == "person" || t == "p") return EntityType::individual;
  if (t == "entity" || t == "enterprise" || t == "organisation" || t == "organization" || t == "e" ||
      t.empty() || t == "-0-")
    return EntityType::entity;
  if (t == "vessel" || t == "ship") return EntityType::vessel;
  if (t == "aircraft") return EntityType::aircraft;
  return EntityType::unknown;
}

const char* strength_name(NameStrength s) {
  switch (s) {
    case NameStrength::primary: return "primary";
    case NameStrength::strong: return "strong";
    default: return "weak";
  }
}

static NameStrength parse_strength(const std::string& s) {
  if (s == "primary") return NameStrength::primary;
  if (s == "strong") return NameStrength::strong;
  if (s == "weak") return NameStrength::weak;
  throw DataError("entity document: unknown name strength '" + s + "'");
}

static EntityType parse_type_strict(const std::string& s) {
  for (auto t : {EntityType::individual, EntityType::entity, EntityType::vessel, EntityType::aircraft})
    if (s == type_name(t)) return t;
  return EntityType::unknown;
}

nlohmann::json Entity::to_json() const {
  nlohmann::json j;
  j["list"] = list;
  j["uid"] = uid;
  j["type"] = type_name(type);
  j["primary_name"] = primary_name;
  auto& ns = j["names"] = nlohmann::json::array();
  for (const auto& n : names) ns.push_back({{"text", n.text}, {"strength", strength_name(n.strength)}, {"kind", n.kind}});
  j["addresses"] = addresses;
  j["countries"] = countries;
  j["dates_of_birth"] = dates_of_birth;
  j["places_of_birth"] = places_of_birth;
  j["nationalities"] = nationalities;
  j["programmes"] = programmes;
  auto& ids = j["identifiers"] = nlohmann::json::array();
  for (const auto& i : identifiers) ids.push_back({{"type", i.type}, {"value", i.value}, {"country", i.country}});
  j["remarks"] = remarks;
  return j;
}

Entity Entity::from_json(const nlohmann::json& j) {
  try {
    Entity e;
    e.list = j.at("list").get<std::string>();
    e.uid = j.at("uid").get<std::string>();
    e.type = parse_type_strict(j.at("type").get<std::string>());
    e.primary_name = j.at("primary_name").get<std::string>();
    for (const auto& n : j.at("names"))
      e.names.push_back({n.at("text").get<std::string>(), parse_strength(n.at("strength").get<std::string>()),
                         n.value("kind", std::string())});
    auto strings = [&](const char* key, std::vector<std::string>& out) {
      if (j.contains(key)) out = j.at(key).get<std::vector<std::string>>();
    };
    strings("addresses", e.addresses);
    strings("countries", e.countries);
    strings("dates_of_birth", e.dates_of_birth);
    strings("places_of_birth", e.places_of_birth);
    strings("nationalities", e.nationalities);
    strings("programmes", e.programmes);
    if (j.contains("identifiers"))
      for (const auto& i : j.at("identifiers"))
        e.identifiers.push_back({i.value("type", std::string()), i.value("value", std::string()),
                                 i.value("country", std::string())});
    e.remarks = j.value("remarks", std::string());
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw DataError(std::string("entity document: ") + ex.what());
  }
}

std::string Entity::content_hash() const { return sha256_hex(to_json().dump()); }

int64_t ListLoad::name_count() const {
  int64_t n = 0;
  for (const auto& e : entities) n += static_cast<int64_t>(e.names.size());
  return n;
}

const std::vector<std::string>& known_lists() {
  static const std::vector<std::string> lists = {"ofac_sdn", "ofac_cons", "un", "uk", "eu"};
  return lists;
}

}  // namespace opskit::screen
