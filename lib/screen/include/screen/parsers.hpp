#pragma once
// List parsers. Each reads one official format into a ListLoad and throws
// DataError naming file:line:column and the field on malformed or truncated
// input: a load is all or nothing, so the caller keeps the previous version
// active when a parser throws.
//
//   OFAC legacy CSV (SDN and consolidated): headerless, `-0-` = empty,
//     Latin-1 or UTF-8 text, an optional trailing 0x1A end-of-file byte.
//     Primary file sdn.csv / cons_prim.csv; companions alt/add/comments are
//     read when present beside it. Weak a.k.a.s are parsed from Remarks.
//   UN Security Council consolidated XML (sc-sanctions.xsd); uid = REFERENCE_NUMBER.
//   UK sanctions list CSV (summary export: Unique ID, Name, Regime Name, Type, ...).
//   EU consolidated financial sanctions CSV (semicolon separated, one row per
//     sub-record, grouped by Entity_LogicalId) and XML (export schema 1.1).
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "screen/model.hpp"

namespace opskit::screen {

// The OFAC legacy layouts, one stream each; `name` is used in errors.
void parse_ofac_primary(std::istream& in, const std::string& name, std::vector<Entity>& out);
void parse_ofac_alt(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid);
void parse_ofac_add(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid);
// Comments extend Remarks (OFAC splits long remarks into sdn_comments.csv).
void parse_ofac_comments(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid);
// Parses the structured parts of an OFAC remarks field into the entity:
// DOB, POB, nationality, citizenship, passport, national id, IMO, tax id,
// gender-free weak a.k.a.s ("a.k.a. 'BNC'").
void apply_ofac_remarks(Entity& e);

// A file set: `primary` is sdn.csv or cons_prim.csv (or a directory holding one).
ListLoad load_ofac(const std::string& primary, const std::string& list);
// The SHA-256 a load of these files records (ListLoad::sha256), without parsing them.
std::string ofac_sha256(const std::string& primary, const std::string& list);
std::string list_sha256(const std::string& path, const std::string& list);

ListLoad parse_un_xml(std::string_view xml, const std::string& name);
ListLoad parse_uk_csv(std::istream& in, const std::string& name);
ListLoad parse_eu_csv(std::istream& in, const std::string& name);
ListLoad parse_eu_xml(std::string_view xml, const std::string& name);

// Loads one list from a path (a file, or for OFAC a file or directory);
// `list` is one of known_lists(), or empty to detect it from the contents.
ListLoad load_list_file(const std::string& path, const std::string& list = {});

// Finds every list under a directory laid out like ../shared/data/sanctions
// (ofac_sdn/sdn.csv, ofac_cons/cons_prim.csv, un/*.xml, uk/*.csv, eu/*.csv|xml)
// or named by file; returns (list, path) pairs in a stable order.
std::vector<std::pair<std::string, std::string>> discover_lists(const std::string& path);

// Text helpers for list files: Latin-1 (OFAC's legacy files) to UTF-8 when
// the bytes are not valid UTF-8; OFAC's "-0-" placeholder to empty.
std::string to_utf8(std::string_view bytes);
std::string ofac_field(std::string_view raw);

}  // namespace opskit::screen
