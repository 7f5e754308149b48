#include "fixtures.hpp"

#include <filesystem>
#include <fstream>

#include "screen/parsers.hpp"

namespace fs = std::filesystem;

namespace opskit::screen::testing {

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string fixture_sdn_csv() {
  return "101,\"AL-ZARQAWI, Karim Yusuf\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
         "\"DOB 14 Feb 1966; POB Zarqa, Jordan; nationality Jordan; Passport Z123456 (Jordan); a.k.a. 'ABU KARIM'.\"\r\n"
         "102,\"OCEAN STAR SHIPPING LLC\",-0- ,\"IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Tax ID No. 7701234567 (Russia).\"\r\n"
         "103,\"NORTHERN LIGHT 7\",\"vessel\",\"IRAN\",-0- ,\"9HA1234\",\"Crude Oil Tanker\",\"150000\",\"80000\",\"Panama\",-0- ,"
         "\"Vessel Registration Identification IMO 9187629.\"\r\n"
         "104,\"HABASH, George\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 1926.\"\r\n"
         "105,\"EMMA LLC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
         "106,\"PETROV, Sergei Ivanovich\",\"individual\",\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
         "\"DOB 02 Mar 1970; nationality Russia; Gender Male.\"\r\n"
         "107,\"M\xDCLLER, J\xFCrgen\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 1955\"\r\n"
         "\x1a";
}

std::string fixture_un_xml() {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-15T00:00:00Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <FIRST_NAME>ABDUL RAHMAN</FIRST_NAME>
      <SECOND_NAME>AL-HAMADI</SECOND_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>عبد الرحمن الحمادي</NAME_ORIGINAL_SCRIPT>
      <NATIONALITY><VALUE>Yemen</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abdulrahman Hamadi</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Hamza</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1975-05-01</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>YE0099887</NUMBER></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <FIRST_NAME>GLOBAL RELIEF TRUST</FIRST_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDe.900</REFERENCE_NUMBER>
      <ENTITY_ADDRESS><CITY>Karachi</CITY><COUNTRY>Pakistan</COUNTRY></ENTITY_ADDRESS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
)";
}

std::string fixture_uk_csv() {
  return "Unique ID,OFSI Group ID,Name,Regime Name,Type,Designation source,Date Designated,Sanctions Imposed\r\n"
         "RUS9001,90001,IVANOVA Yelena Petrovna,Russia,Individual,UK,01-02-2023,Asset freeze\r\n"
         "RUS9002,90002,\"\n  \",Russia,Individual,UK,01-02-2023,Asset freeze\r\n"
         "RUS9003,90003,SOVCOMFLOT PAO,Russia,Entity,UK,01-02-2023,Asset freeze\r\n";
}

std::string fixture_eu_csv() {
  return "fileGenerationDate;Entity_LogicalId;Entity_SubjectType_ClassificationCode;NameAlias_WholeName;"
         "Birthdate_BirthDate;Citizenship_CountryDescription;Identification_Number;Identification_TypeCode\n"
         "2026-01-10;5001;person;Viktor KUZNETSOV;1961-04-12;RUSSIAN FEDERATION;;\n"
         "2026-01-10;5001;person;Viktor Kouznetsov;;;;\n"
         "2026-01-10;5002;enterprise;Kalashnikov Concern JSC;;;;\n";
}

void write_fixture_lists(const std::string& dir) {
  write_text(dir + "/ofac_sdn/sdn.csv", fixture_sdn_csv());
  write_text(dir + "/ofac_sdn/alt.csv",
             "101,1,\"aka\",\"AL-ZARKAWI, Karim\",-0- \r\n106,2,\"aka\",\"PETROV, Sergey\",-0- \r\n999,3,\"aka\",\"NOT LOADED\",-0- \r\n\x1a");
  write_text(dir + "/ofac_sdn/add.csv", "101,1,-0- ,\"Amman\",\"Jordan\",-0- \r\n\x1a");
  write_text(dir + "/ofac_sdn/sdn_comments.csv", "104,\" Linked To: POPULAR FRONT.\"\r\n\x1a");
  write_text(dir + "/ofac_cons/cons_prim.csv",
             "201,\"BANK OF NORTHLAND\",-0- ,\"NS-MBS\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a");
  write_text(dir + "/un/consolidated.xml", fixture_un_xml());
  write_text(dir + "/uk/UK_Sanctions_List_2025-08-11.csv", fixture_uk_csv());
  write_text(dir + "/eu/eu_sanctions.csv", fixture_eu_csv());
}

std::vector<Entity> fixture_entities(const std::string& dir) {
  std::vector<Entity> all;
  for (const auto& [list, path] : discover_lists(dir))
    for (auto& e : load_list_file(path, list).entities) all.push_back(std::move(e));
  return all;
}

}  // namespace opskit::screen::testing
