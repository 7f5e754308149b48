// UN Security Council consolidated list (sc-sanctions.xsd) and the EU
// consolidated list XML export: both parsed with pugixml from memory.
#include <pugixml.hpp>

#include "core/hash.hpp"
#include "core/text.hpp"
#include "screen/parsers.hpp"

namespace opskit::screen {
namespace {

std::string value_of(const pugi::xml_node& n) { return std::string(text::trim(n.child_value())); }

void add_unique(std::vector<std::string>& v, std::string s) {
  if (s.empty()) return;
  for (const auto& x : v)
    if (x == s) return;
  v.push_back(std::move(s));
}

// pugixml reports a byte offset; errors must say line and column.
SourceLocation location_of(std::string_view xml, ptrdiff_t offset, const std::string& name) {
  long line = 1, column = 1;
  for (ptrdiff_t i = 0; i < offset && i < static_cast<ptrdiff_t>(xml.size()); ++i) {
    if (xml[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {name, line, column, {}};
}

pugi::xml_document parse_xml(std::string_view xml, const std::string& name) {
  pugi::xml_document doc;
  auto result = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) throw DataError(location_of(xml, result.offset, name), std::string("malformed XML: ") + result.description());
  return doc;
}

SourceLocation node_location(std::string_view xml, const pugi::xml_node& n, const std::string& name,
                             const std::string& field) {
  auto loc = location_of(xml, n.offset_debug(), name);
  loc.field = field;
  return loc;
}

void un_record(std::string_view xml, const pugi::xml_node& node, bool individual, const std::string& name,
               std::vector<Entity>& out) {
  Entity e;
  e.list = "un";
  e.type = individual ? EntityType::individual : EntityType::entity;
  e.uid = value_of(node.child("REFERENCE_NUMBER"));
  if (e.uid.empty()) throw DataError(node_location(xml, node, name, "REFERENCE_NUMBER"), "record without a reference number");
  std::string full;
  for (const char* part : {"FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"}) {
    std::string v = value_of(node.child(part));
    if (v.empty()) continue;
    if (!full.empty()) full += ' ';
    full += v;
  }
  if (full.empty()) throw DataError(node_location(xml, node, name, "FIRST_NAME"), "record " + e.uid + " has no name");
  e.primary_name = full;
  e.names.push_back({full, NameStrength::primary, "primary"});
  std::string original = value_of(node.child("NAME_ORIGINAL_SCRIPT"));
  if (!original.empty()) e.names.push_back({original, NameStrength::strong, "original script"});
  const char* alias_tag = individual ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
  for (auto a : node.children(alias_tag)) {
    std::string alias = value_of(a.child("ALIAS_NAME"));
    if (alias.empty()) continue;
    std::string quality = text::lower(value_of(a.child("QUALITY")));
    e.names.push_back({alias, quality == "low" ? NameStrength::weak : NameStrength::strong,
                       quality.empty() ? "aka" : quality});
  }
  e.programmes.push_back(value_of(node.child("UN_LIST_TYPE")));
  for (auto v : node.child("NATIONALITY").children("VALUE")) add_unique(e.nationalities, value_of(v));
  const char* address_tag = individual ? "INDIVIDUAL_ADDRESS" : "ENTITY_ADDRESS";
  for (auto a : node.children(address_tag)) {
    std::string address;
    for (const char* part : {"STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY"}) {
      std::string v = value_of(a.child(part));
      if (v.empty()) continue;
      if (!address.empty()) address += ", ";
      address += v;
    }
    add_unique(e.addresses, address);
    add_unique(e.countries, value_of(a.child("COUNTRY")));
  }
  for (auto d : node.children("INDIVIDUAL_DATE_OF_BIRTH")) {
    std::string date = value_of(d.child("DATE"));
    if (date.empty()) date = value_of(d.child("YEAR"));
    if (date.empty() && !value_of(d.child("FROM_YEAR")).empty())
      date = value_of(d.child("FROM_YEAR")) + " to " + value_of(d.child("TO_YEAR"));
    add_unique(e.dates_of_birth, date);
  }
  for (auto p : node.children("INDIVIDUAL_PLACE_OF_BIRTH")) {
    std::string place;
    for (const char* part : {"CITY", "STATE_PROVINCE", "COUNTRY"}) {
      std::string v = value_of(p.child(part));
      if (v.empty()) continue;
      if (!place.empty()) place += ", ";
      place += v;
    }
    add_unique(e.places_of_birth, place);
  }
  for (auto d : node.children("INDIVIDUAL_DOCUMENT")) {
    std::string number = value_of(d.child("NUMBER"));
    if (number.empty()) continue;
    std::string type = text::lower(value_of(d.child("TYPE_OF_DOCUMENT")));
    std::string kind = type.find("passport") != std::string::npos ? "passport"
                       : type.find("national") != std::string::npos ? "national_id"
                                                                      : "other";
    e.identifiers.push_back({kind, number, value_of(d.child("ISSUING_COUNTRY"))});
  }
  e.remarks = value_of(node.child("COMMENTS1"));
  out.push_back(std::move(e));
}

}  // namespace

ListLoad parse_un_xml(std::string_view xml, const std::string& name) {
  auto doc = parse_xml(xml, name);
  auto root = doc.child("CONSOLIDATED_LIST");
  if (!root) throw DataError(SourceLocation{name, 1, 1, "CONSOLIDATED_LIST"}, "not a UN consolidated list (no CONSOLIDATED_LIST root)");
  ListLoad load;
  load.list = "un";
  load.source = name;
  load.published = root.attribute("dateGenerated").value();
  load.sha256 = sha256_hex(xml);
  auto individuals = root.child("INDIVIDUALS");
  auto entities = root.child("ENTITIES");
  if (!individuals && !entities)
    throw DataError(SourceLocation{name, 1, 1, "INDIVIDUALS"}, "UN list has neither INDIVIDUALS nor ENTITIES (truncated?)");
  for (auto n : individuals.children("INDIVIDUAL")) un_record(xml, n, true, name, load.entities);
  for (auto n : entities.children("ENTITY")) un_record(xml, n, false, name, load.entities);
  return load;
}

// EU export schema: <export generationDate=...><sanctionEntity logicalId=...>
//   <subjectType classificationCode="person|enterprise"/>
//   <nameAlias wholeName=... strong="true|false"/> <citizen countryDescription=.../>
//   <birthdate birthdate=... year=.../> <identification number=... identificationTypeCode=.../>
//   <address countryDescription=.../> <regulation programme=.../>
ListLoad parse_eu_xml(std::string_view xml, const std::string& name) {
  auto doc = parse_xml(xml, name);
  auto root = doc.child("export");
  if (!root) throw DataError(SourceLocation{name, 1, 1, "export"}, "not an EU sanctions export (no export root)");
  ListLoad load;
  load.list = "eu";
  load.source = name;
  load.published = root.attribute("generationDate").value();
  load.sha256 = sha256_hex(xml);
  for (auto n : root.children("sanctionEntity")) {
    Entity e;
    e.list = "eu";
    e.uid = n.attribute("logicalId").value();
    if (e.uid.empty()) throw DataError(node_location(xml, n, name, "logicalId"), "sanctionEntity without logicalId");
    std::string code = n.child("subjectType").attribute("classificationCode").value();
    e.type = code == "person" ? EntityType::individual : EntityType::entity;
    for (auto a : n.children("nameAlias")) {
      std::string whole(text::trim(a.attribute("wholeName").value()));
      if (whole.empty()) continue;
      bool strong = std::string(a.attribute("strong").value()) != "false";
      if (e.primary_name.empty()) {
        e.primary_name = whole;
        e.names.push_back({whole, NameStrength::primary, "primary"});
      } else {
        e.names.push_back({whole, strong ? NameStrength::strong : NameStrength::weak, "aka"});
      }
    }
    if (e.primary_name.empty()) throw DataError(node_location(xml, n, name, "nameAlias"), "entity " + e.uid + " has no name");
    for (auto c : n.children("citizen")) add_unique(e.nationalities, c.attribute("countryDescription").value());
    for (auto b : n.children("birthdate")) {
      std::string d = b.attribute("birthdate").value();
      if (d.empty()) d = b.attribute("year").value();
      add_unique(e.dates_of_birth, d);
    }
    for (auto a : n.children("address")) add_unique(e.countries, a.attribute("countryDescription").value());
    for (auto i : n.children("identification")) {
      std::string number = i.attribute("number").value();
      if (number.empty()) continue;
      std::string code_id = text::lower(i.attribute("identificationTypeCode").value());
      e.identifiers.push_back({code_id == "passport" ? "passport" : code_id == "id" ? "national_id" : code_id, number,
                               i.attribute("countryDescription").value()});
    }
    for (auto r : n.children("regulation")) add_unique(e.programmes, r.attribute("programme").value());
    load.entities.push_back(std::move(e));
  }
  return load;
}

}  // namespace opskit::screen
