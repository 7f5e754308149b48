// UK and EU CSV lists, format detection and discovery of list files.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <unordered_map>

#include "core/csv.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"
#include "screen/parsers.hpp"

namespace fs = std::filesystem;

namespace opskit::screen {
namespace {

void add_unique(std::vector<std::string>& v, std::string s) {
  if (s.empty()) return;
  for (const auto& x : v)
    if (x == s) return;
  v.push_back(std::move(s));
}

std::string field(const csv::Record& r, std::string_view column) {
  auto v = r.get(column);
  return v ? std::string(text::trim(*v)) : std::string();
}

// The UK export does not carry its date; its official file name does.
std::string date_from_name(const std::string& name) {
  static const std::regex iso(R"((\d{4}-\d{2}-\d{2}))");
  std::smatch m;
  std::string base = fs::path(name).filename().string();
  if (std::regex_search(base, m, iso)) return m[1];
  return {};
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(SourceLocation{path, 0, 0, {}}, "cannot open list file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ListLoad parse_uk_csv(std::istream& in, const std::string& name) {
  csv::Options o;
  csv::Reader reader(in, name, o);
  reader.require_columns({"Unique ID", "Name", "Type"});
  ListLoad load;
  load.list = "uk";
  load.source = name;
  load.published = date_from_name(name);
  std::unordered_map<std::string, size_t> seen;
  csv::Record r;
  while (reader.next(r)) {
    std::string uid = field(r, "Unique ID");
    if (uid.empty()) throw DataError(r.where("Unique ID"), "empty Unique ID");
    std::string name_text = field(r, "Name");
    if (name_text.empty()) {  // the official export has designations with a blank name: counted, not fatal
      ++load.skipped;
      continue;
    }
    std::string type = field(r, "Type");
    EntityType t = parse_type(type);
    if (t == EntityType::unknown || type.empty()) throw DataError(r.where("Type"), "unknown Type '" + type + "'");
    auto [it, fresh] = seen.emplace(uid, load.entities.size());
    if (!fresh) {
      Entity& e = load.entities[it->second];
      add_unique(e.programmes, field(r, "Regime Name"));
      bool known = false;
      for (const auto& n : e.names) known = known || n.text == name_text;
      if (!known) e.names.push_back({name_text, NameStrength::strong, "aka"});
      continue;
    }
    Entity e;
    e.list = "uk";
    e.uid = uid;
    e.type = t;
    e.primary_name = name_text;
    e.names.push_back({name_text, NameStrength::primary, "primary"});
    add_unique(e.programmes, field(r, "Regime Name"));
    std::string designated = field(r, "Date Designated");
    if (!designated.empty()) e.remarks = "Designated " + designated + " (" + field(r, "Designation source") + ")";
    load.entities.push_back(std::move(e));
  }
  return load;
}

ListLoad parse_eu_csv(std::istream& in, const std::string& name) {
  csv::Options o;
  o.separator = ';';
  o.allow_ragged = true;
  o.trim_trailing_empty = true;
  csv::Reader reader(in, name, o);
  reader.require_columns({"Entity_LogicalId", "NameAlias_WholeName"});
  ListLoad load;
  load.list = "eu";
  load.source = name;
  std::unordered_map<std::string, size_t> index;
  csv::Record r;
  while (reader.next(r)) {
    std::string uid = field(r, "Entity_LogicalId");
    if (uid.empty()) throw DataError(r.where("Entity_LogicalId"), "empty Entity_LogicalId");
    if (load.published.empty()) load.published = field(r, "fileGenerationDate");
    auto [it, fresh] = index.emplace(uid, load.entities.size());
    if (fresh) {
      Entity e;
      e.list = "eu";
      e.uid = uid;
      std::string code = text::lower(field(r, "Entity_SubjectType_ClassificationCode"));
      e.type = code == "person" ? EntityType::individual : EntityType::entity;
      e.remarks = field(r, "Entity_Remark");
      load.entities.push_back(std::move(e));
    }
    Entity& e = load.entities[it->second];
    std::string whole = field(r, "NameAlias_WholeName");
    if (!whole.empty()) {
      bool known = false;
      for (const auto& n : e.names) known = known || n.text == whole;
      if (!known) {
        if (e.primary_name.empty()) {
          e.primary_name = whole;
          e.names.push_back({whole, NameStrength::primary, "primary"});
        } else {
          e.names.push_back({whole, NameStrength::strong, "aka"});
        }
      }
    }
    add_unique(e.dates_of_birth, field(r, "Birthdate_BirthDate"));
    add_unique(e.nationalities, field(r, "Citizenship_CountryDescription"));
    add_unique(e.countries, field(r, "Address_CountryDescription"));
    add_unique(e.programmes, field(r, "Entity_Regulation_Programme"));
    std::string number = field(r, "Identification_Number");
    if (!number.empty()) {
      std::string code = text::lower(field(r, "Identification_TypeCode"));
      e.identifiers.push_back({code == "passport" ? "passport" : code == "id" ? "national_id" : code, number,
                               field(r, "Identification_CountryDescription")});
    }
  }
  for (const auto& e : load.entities)
    if (e.primary_name.empty()) throw DataError(SourceLocation{name, 0, 0, "NameAlias_WholeName"}, "entity " + e.uid + " has no name");
  return load;
}

ListLoad load_list_file(const std::string& path, const std::string& list_in) {
  std::string list = list_in;
  fs::path p = path;
  if (list.empty()) {
    std::string base = p.filename().string();
    if (fs::is_directory(p)) {
      list = fs::exists(p / "sdn.csv") ? "ofac_sdn" : fs::exists(p / "cons_prim.csv") ? "ofac_cons" : "";
    } else if (base.rfind("cons_", 0) == 0) {
      list = "ofac_cons";
    } else if (base == "sdn.csv") {
      list = "ofac_sdn";
    } else {
      // Sniff the first bytes.
      std::ifstream in(path, std::ios::binary);
      if (!in) throw DataError(SourceLocation{path, 0, 0, {}}, "cannot open list file");
      std::string head(4096, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(in.gcount()));
      if (head.find("CONSOLIDATED_LIST") != std::string::npos) list = "un";
      else if (head.find("<export") != std::string::npos) list = "eu";
      else if (head.find("Entity_LogicalId") != std::string::npos) list = "eu";
      else if (head.find("Unique ID") != std::string::npos) list = "uk";
    }
    if (list.empty()) throw DataError(SourceLocation{path, 1, 1, {}}, "cannot tell which list this file is; name it with --list");
  }
  if (list == "ofac_sdn" || list == "ofac_cons") return load_ofac(path, list);
  if (list == "un") return parse_un_xml(read_all(path), path);
  if (list == "eu" && p.extension() == ".xml") return parse_eu_xml(read_all(path), path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(SourceLocation{path, 0, 0, {}}, "cannot open list file");
  ListLoad load = list == "uk" ? parse_uk_csv(in, path) : list == "eu" ? parse_eu_csv(in, path)
                                                                      : throw DataError("unknown list '" + list + "'");
  load.sha256 = sha256_file(path);
  return load;
}

std::string list_sha256(const std::string& path, const std::string& list) {
  if (list == "ofac_sdn" || list == "ofac_cons") return ofac_sha256(path, list);
  return sha256_file(path);
}

std::vector<std::pair<std::string, std::string>> discover_lists(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  fs::path p = path;
  if (!fs::exists(p)) throw DataError(SourceLocation{path, 0, 0, {}}, "no such file or directory");
  if (!fs::is_directory(p)) {
    out.emplace_back("", path);
    return out;
  }
  if (fs::exists(p / "sdn.csv")) out.emplace_back("ofac_sdn", (p / "sdn.csv").string());
  if (fs::exists(p / "cons_prim.csv")) out.emplace_back("ofac_cons", (p / "cons_prim.csv").string());
  if (!out.empty()) return out;
  auto newest = [](const fs::path& dir, std::initializer_list<const char*> exts) -> std::string {
    if (!fs::is_directory(dir)) return {};
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(dir))
      for (const char* ext : exts)
        if (f.path().extension() == ext) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    return files.empty() ? std::string() : files.back();
  };
  if (fs::exists(p / "ofac_sdn" / "sdn.csv")) out.emplace_back("ofac_sdn", (p / "ofac_sdn" / "sdn.csv").string());
  if (fs::exists(p / "ofac_cons" / "cons_prim.csv"))
    out.emplace_back("ofac_cons", (p / "ofac_cons" / "cons_prim.csv").string());
  if (auto f = newest(p / "un", {".xml"}); !f.empty()) out.emplace_back("un", f);
  if (auto f = newest(p / "uk", {".csv"}); !f.empty()) out.emplace_back("uk", f);
  if (auto f = newest(p / "eu", {".csv", ".xml"}); !f.empty()) out.emplace_back("eu", f);
  if (out.empty()) throw DataError(SourceLocation{path, 0, 0, {}}, "no sanctions list files found in this directory");
  return out;
}

}  // namespace opskit::screen
