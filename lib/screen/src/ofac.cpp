// OFAC legacy CSV files (SDN and consolidated): sdn/alt/add/comments.
#include <filesystem>
#include <fstream>

#include "core/csv.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"
#include "screen/parsers.hpp"

namespace fs = std::filesystem;

namespace opskit::screen {
namespace {

csv::Options ofac_options() {
  csv::Options o;
  o.has_header = false;
  o.validate_utf8 = false;  // legacy files are Latin-1; to_utf8 converts per field
  o.allow_ragged = true;
  return o;
}

// The last line of an official file is a lone 0x1A (DOS end-of-file).
bool is_eof_marker(const csv::Record& r) {
  if (r.size() != 1) return false;
  auto f = text::trim(r[0]);
  return f.empty() || f == "\x1a";
}

std::string need_uid(const csv::Record& r, const std::string& field) {
  std::string uid(text::trim(r[0]));
  long long n = 0;
  if (!text::parse_int(uid, n) || n <= 0) throw DataError(r.where(0), field + " is not a positive entity number");
  return uid;
}

void need_columns(const csv::Record& r, size_t n, const std::string& what) {
  if (r.size() < n)
    throw DataError(r.where(r.size() - 1), what + ": expected " + std::to_string(n) + " columns, found " +
                                               std::to_string(r.size()) + " (truncated record?)");
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (s.empty()) return;
  for (const auto& x : v)
    if (x == s) return;
  v.push_back(s);
}

std::string strip_final_period(std::string_view s) {
  s = text::trim(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return std::string(text::trim(s));
}

// "7744001497 (Russia) issued ..." -> value "7744001497", country "Russia".
Identifier identifier_from(const std::string& type, std::string_view rest) {
  rest = text::trim(rest);
  Identifier id;
  id.type = type;
  size_t paren = rest.find(" (");
  std::string_view value = paren == std::string_view::npos ? rest : rest.substr(0, paren);
  size_t issued = value.find(" issued");
  if (issued != std::string_view::npos) value = value.substr(0, issued);
  size_t expires = value.find(" expires");
  if (expires != std::string_view::npos) value = value.substr(0, expires);
  id.value = strip_final_period(value);
  if (paren != std::string_view::npos) {
    size_t close = rest.find(')', paren);
    if (close != std::string_view::npos) id.country = std::string(rest.substr(paren + 2, close - paren - 2));
  }
  return id;
}

bool take_prefix(std::string_view& s, std::string_view prefix) {
  if (!text::starts_with_icase(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  s = text::trim(s);
  return true;
}

}  // namespace

std::string to_utf8(std::string_view bytes) {
  if (text::valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string ofac_field(std::string_view raw) {
  auto t = text::trim(raw);
  if (t == "-0-") return {};
  return to_utf8(t);
}

void apply_ofac_remarks(Entity& e) {
  const std::string& r = e.remarks;
  size_t start = 0;
  while (start < r.size()) {
    size_t end = r.find(';', start);
    if (end == std::string::npos) end = r.size();
    std::string_view part = text::trim(std::string_view(r).substr(start, end - start));
    start = end + 1;
    take_prefix(part, "alt.");
    if (take_prefix(part, "a.k.a.") || take_prefix(part, "f.k.a.") || take_prefix(part, "n.k.a.")) {
      // a.k.a. 'BNC' -- a weak alias; the quotes are part of OFAC's format.
      std::string_view v = part;
      if (!v.empty() && v.front() == '\'') {
        v.remove_prefix(1);
        size_t q = v.rfind('\'');
        if (q != std::string_view::npos) v = v.substr(0, q);
        std::string name = strip_final_period(v);
        if (!name.empty()) e.names.push_back({name, NameStrength::weak, "weak aka"});
      }
    } else if (take_prefix(part, "DOB ")) {
      add_unique(e.dates_of_birth, strip_final_period(part));
    } else if (take_prefix(part, "POB ")) {
      add_unique(e.places_of_birth, strip_final_period(part));
    } else if (take_prefix(part, "nationality ") || take_prefix(part, "citizen ")) {
      add_unique(e.nationalities, strip_final_period(part));
    } else if (take_prefix(part, "Passport ")) {
      e.identifiers.push_back(identifier_from("passport", part));
    } else if (take_prefix(part, "National ID No. ") || take_prefix(part, "Cedula No. ") ||
               take_prefix(part, "Identification Number ")) {
      e.identifiers.push_back(identifier_from("national_id", part));
    } else if (take_prefix(part, "Tax ID No. ") || take_prefix(part, "NIT # ") || take_prefix(part, "R.F.C. ")) {
      e.identifiers.push_back(identifier_from("tax_id", part));
    } else if (take_prefix(part, "Vessel Registration Identification IMO ")) {
      e.identifiers.push_back(identifier_from("imo", part));
    } else if (take_prefix(part, "Aircraft Tail Number ")) {
      e.identifiers.push_back(identifier_from("tail_number", part));
    }
  }
}

void parse_ofac_primary(std::istream& in, const std::string& name, std::vector<Entity>& out) {
  csv::Reader reader(in, name, ofac_options());
  csv::Record r;
  while (reader.next(r)) {
    if (is_eof_marker(r)) continue;
    need_columns(r, 12, "primary record");
    Entity e;
    e.uid = need_uid(r, "ent_num");
    e.primary_name = ofac_field(r[1]);
    if (e.primary_name.empty()) throw DataError(r.where(1), "SDN_Name is empty");
    std::string type = ofac_field(r[2]);
    e.type = parse_type(type);
    if (e.type == EntityType::unknown) throw DataError(r.where(2), "unknown SDN_Type '" + type + "'");
    e.names.push_back({e.primary_name, NameStrength::primary, "primary"});
    // Programs look like "NPWMD] [IFSR": brackets separate several.
    std::string programs = ofac_field(r[3]);
    for (auto& p : text::split(programs, ']')) {
      std::string q(text::trim(p));
      if (!q.empty() && q.front() == '[') q.erase(0, 1);
      add_unique(e.programmes, std::string(text::trim(q)));
    }
    std::string flag = ofac_field(r[9]);
    if (!flag.empty()) add_unique(e.countries, flag);
    e.remarks = ofac_field(r[11]);
    out.push_back(std::move(e));
  }
}

void parse_ofac_alt(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid) {
  csv::Reader reader(in, name, ofac_options());
  csv::Record r;
  while (reader.next(r)) {
    if (is_eof_marker(r)) continue;
    need_columns(r, 4, "alias record");
    std::string uid = need_uid(r, "ent_num");
    auto it = by_uid.find(uid);
    if (it == by_uid.end()) continue;  // an entity newer than the primary file
    std::string kind = text::lower(ofac_field(r[2]));
    std::string alias = ofac_field(r[3]);
    if (alias.empty()) throw DataError(r.where(3), "alt_name is empty");
    NameStrength s = kind == "nka" || kind == "aka" || kind == "fka" ? NameStrength::strong : NameStrength::weak;
    it->second->names.push_back({alias, s, kind});
  }
}

void parse_ofac_add(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid) {
  csv::Reader reader(in, name, ofac_options());
  csv::Record r;
  while (reader.next(r)) {
    if (is_eof_marker(r)) continue;
    need_columns(r, 5, "address record");
    std::string uid = need_uid(r, "ent_num");
    auto it = by_uid.find(uid);
    if (it == by_uid.end()) continue;
    std::string address;
    for (size_t i = 2; i <= 4; ++i) {
      std::string f = ofac_field(r[i]);
      if (f.empty()) continue;
      if (!address.empty()) address += ", ";
      address += f;
    }
    add_unique(it->second->addresses, address);
    add_unique(it->second->countries, ofac_field(r[4]));
  }
}

void parse_ofac_comments(std::istream& in, const std::string& name, std::map<std::string, Entity*>& by_uid) {
  csv::Reader reader(in, name, ofac_options());
  csv::Record r;
  while (reader.next(r)) {
    if (is_eof_marker(r)) continue;
    need_columns(r, 2, "comment record");
    std::string uid = need_uid(r, "ent_num");
    auto it = by_uid.find(uid);
    if (it == by_uid.end()) continue;
    it->second->remarks += ofac_field(r[1]);
  }
}

ListLoad load_ofac(const std::string& primary_path, const std::string& list) {
  const bool cons = list == "ofac_cons";
  fs::path primary = primary_path;
  if (fs::is_directory(primary)) primary /= cons ? "cons_prim.csv" : "sdn.csv";
  fs::path dir = primary.parent_path();
  auto open = [](const fs::path& p) {
    auto in = std::make_unique<std::ifstream>(p, std::ios::binary);
    if (!*in) throw DataError(SourceLocation{p.string(), 0, 0, {}}, "cannot open list file");
    return in;
  };
  ListLoad load;
  load.list = list;
  load.source = primary.string();
  Sha256 digest;
  {
    auto in = open(primary);
    parse_ofac_primary(*in, primary.string(), load.entities);
  }
  digest.update(sha256_file(primary.string()));
  std::map<std::string, Entity*> by_uid;
  for (auto& e : load.entities) {
    e.list = list;
    if (!by_uid.emplace(e.uid, &e).second)
      throw DataError(SourceLocation{primary.string(), 0, 0, "ent_num"}, "duplicate entity number " + e.uid);
  }
  const char* prefix = cons ? "cons_" : "";
  struct Companion {
    std::string file;
    void (*parse)(std::istream&, const std::string&, std::map<std::string, Entity*>&);
  };
  const Companion companions[] = {{std::string(prefix) + (cons ? "alt.csv" : "alt.csv"), parse_ofac_alt},
                                  {std::string(prefix) + "add.csv", parse_ofac_add},
                                  {std::string(prefix) + (cons ? "comments.csv" : "sdn_comments.csv"), parse_ofac_comments}};
  for (const auto& c : companions) {
    fs::path p = dir / c.file;
    if (!fs::exists(p)) continue;
    auto in = open(p);
    c.parse(*in, p.string(), by_uid);
    digest.update(sha256_file(p.string()));
    load.source += "," + p.filename().string();
  }
  for (auto& e : load.entities) apply_ofac_remarks(e);
  load.sha256 = digest.hex();
  return load;
}

std::string ofac_sha256(const std::string& primary_path, const std::string& list) {
  const bool cons = list == "ofac_cons";
  fs::path primary = primary_path;
  if (fs::is_directory(primary)) primary /= cons ? "cons_prim.csv" : "sdn.csv";
  // The same digest load_ofac computes: the primary file, then each companion present.
  Sha256 digest;
  digest.update(sha256_file(primary.string()));
  const char* prefix = cons ? "cons_" : "";
  for (const std::string& f : {std::string(prefix) + "alt.csv", std::string(prefix) + "add.csv",
                              std::string(prefix) + (cons ? "comments.csv" : "sdn_comments.csv")}) {
    fs::path p = primary.parent_path() / f;
    if (fs::exists(p)) digest.update(sha256_file(p.string()));
  }
  return digest.hex();
}

}  // namespace opskit::screen
