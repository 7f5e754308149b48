#pragma once
// Small project-written list files (OFAC legacy CSV, UN XML, UK CSV, EU CSV)
// and entities for the screen tests.
#include <string>
#include <vector>

#include "screen/model.hpp"

namespace opskit::screen::testing {

// Writes a complete fixture directory (ofac_sdn/, ofac_cons/, un/, uk/, eu/) under `dir`.
void write_fixture_lists(const std::string& dir);
// The SDN primary file text (headerless legacy CSV, CRLF, trailing 0x1A).
std::string fixture_sdn_csv();
std::string fixture_un_xml();
std::string fixture_uk_csv();
std::string fixture_eu_csv();
// Entities parsed from the fixture directory (all lists).
std::vector<Entity> fixture_entities(const std::string& dir);
void write_text(const std::string& path, const std::string& text);

}  // namespace opskit::screen::testing
