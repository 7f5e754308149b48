// CLI tests: the built executables, their output formats and exit codes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "test_paths.hpp"

using namespace opskit;

namespace {

struct Cli {
  std::string dir, db;
  test::CommandResult run(const std::string& args, const std::string& input = {}) const {
    return test::run_command("cd " + dir + " && TZ=UTC LC_ALL=C OPSKIT_NOW=2026-01-05T00:00:00Z " + test::bin("screen") +
                                 " --db " + db + " --tenant acme --log-format json " + args,
                             input);
  }
};

Cli setup() {
  Cli c;
  c.dir = test::temp_dir("cli");
  c.db = c.dir + "/t.db";
  screen::testing::write_fixture_lists(c.dir + "/lists");
  auto m = test::run_command(test::bin("opskit") + " db migrate --db " + c.db + " && " + test::bin("opskit") +
                             " tenant add acme --db " + c.db);
  REQUIRE(m.exit_code == 0);
  return c;
}

}  // namespace

TEST_CASE("screen CLI: lists, name, batch, review, exit codes", "[screen][cli]") {
  Cli c = setup();
  auto r = c.run("lists update --from lists");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("activated") != std::string::npos);

  r = c.run("lists show --format csv");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("version,list,active,published,loaded_at,entities,names,sha256\n", 0) == 0);

  r = c.run("name \"Karim Yousef Al-Zarqawi\" --format json --limit 1");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(j["uid"] == "101");
  CHECK(j["explanation"]["list_version"].get<int64_t>() > 0);
  CHECK(j["explanation"].contains("config_hash"));

  CHECK(c.run("name \"Karim Yusuf Al-Zarqawi\" --fail-on blocked").exit_code == 1);
  CHECK(c.run("name \"George Bush\" --fail-on flagged").exit_code == 0);
  CHECK(c.run("name \"x\" --type spaceship").exit_code == 2);
  CHECK(c.run("name \"x\" --fail-on maybe").exit_code == 2);

  test::CommandResult b = c.run("batch - --fail-on flagged --format csv",
                                "id,counterparty,amount\nt1,Karim Al-Zarqawi,5\nt2,Jane Doe,7\nt3,Bad Amount,x\n");
  INFO(b.err);
  CHECK(b.exit_code == 1);
  CHECK(b.out.find("t1,Karim Al-Zarqawi,") != std::string::npos);
  CHECK(b.err.find("-:4:") != std::string::npos);  // the bad row, named
  CHECK(c.run("batch - --on-error stop", "id,counterparty,amount\nt9,X,oops\n").exit_code == 3);
  CHECK(c.run("batch missing.csv").exit_code == 3);

  r = c.run("review list --format json");
  REQUIRE(r.exit_code == 0);
  auto m = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  std::string id = std::to_string(m["id"].get<int64_t>());
  CHECK(c.run("review decide " + id + " --clear").exit_code == 2);  // --note is required
  CHECK(c.run("review decide " + id + " --clear --note \"other person\" --by tester").exit_code == 0);
  CHECK(c.run("review decide 99999 --block --note x").exit_code == 3);
  CHECK(c.run("rescreen").exit_code == 0);

  // A truncated list fails with exit 3 and the previous version stays active.
  screen::testing::write_text(c.dir + "/bad/un.xml", "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>");
  r = c.run("lists update --from bad/un.xml --list un");
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("failed") != std::string::npos);
  CHECK(c.run("lists diff 1 1").exit_code == 0);
}
