#include <catch2/catch.hpp>

#include <fstream>

#include "core/config.hpp"
#include "test_paths.hpp"

using namespace opskit;

namespace {
std::string write_yaml(const std::string& text) {
  std::string path = test::temp_dir("cfg") + "/config.yaml";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("config precedence is flags > environment > file > defaults, with origins") {
  Config c;
  c.set_default("db", "./opskit.db");
  c.set_default("tenant", "");
  c.set_default("log_level", "info");
  c.set_default("screen.review", "80");
  std::string path = write_yaml("db: from-file.db\ntenant: file-tenant\nscreen:\n  review: 75\n  lists: [ofac, un]\n");
  c.load_file(path, true);
  std::string e1 = "OPSKIT_TENANT=env-tenant", e2 = "OPSKIT_SCREEN_REVIEW=70", e3 = "OPSKIT_DB=env.db";
  char* env[] = {e1.data(), e2.data(), e3.data(), nullptr};
  c.load_environment(env);
  c.set_flag("db", "flag.db", "--db");

  CHECK(c.get("db") == "flag.db");
  CHECK(c.find("db")->origin == Origin::flag);
  CHECK(c.get("tenant") == "env-tenant");
  CHECK(c.find("tenant")->origin == Origin::environment);
  CHECK(c.find("tenant")->source == "OPSKIT_TENANT");
  CHECK(c.get_int("screen.review", 0) == 70);
  CHECK(c.get("log_level") == "info");
  CHECK(c.find("log_level")->origin == Origin::default_value);
  CHECK(c.get_list("screen.lists") == std::vector<std::string>{"ofac", "un"});
  CHECK(c.find("screen.lists")->origin == Origin::file);
  CHECK(c.find("screen.lists")->source == path + ":5");
}

TEST_CASE("a weaker origin never overrides a stronger one") {
  Config c;
  c.set_flag("db", "flag.db", "--db");
  std::string e = "OPSKIT_DB=env.db";
  char* env[] = {e.data(), nullptr};
  c.load_environment(env);
  c.load_file(write_yaml("db: file.db\n"), true);
  c.set_default("db", "default.db");
  CHECK(c.get("db") == "flag.db");
}

TEST_CASE("malformed YAML names file, line and column") {
  std::string path = write_yaml("db: x\ntenant: [unclosed\n");
  Config c;
  try {
    c.load_file(path, true);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(e.where().file == path);
    CHECK(e.where().line >= 2);
    CHECK(e.where().column > 0);
  }
  CHECK_THROWS_AS(c.load_file(path + ".missing", true), DataError);
  CHECK_NOTHROW(c.load_file(path + ".missing", false));
}

TEST_CASE("typed config values report the key and origin when they do not parse") {
  Config c;
  c.set_flag("wait", "soon", "--wait");
  try {
    c.get_int("wait", 0);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("'wait' = 'soon' (from flag --wait)") != std::string::npos);
  }
}

TEST_CASE("a section's hash covers that section only") {
  Config a, b;
  for (Config* c : {&a, &b}) {
    c->set_default("screen.review", "70");
    c->set_default("screen.block", "90");
  }
  a.set_flag("db", "one.db", "--db");
  a.set_flag("shard", "0/4", "--shard");
  b.set_flag("db", "other.db", "--db");
  CHECK(a.hash("screen.") == b.hash("screen."));
  CHECK(a.hash() != b.hash());
  b.set_flag("screen.block", "95", "--block");
  CHECK(a.hash("screen.") != b.hash("screen."));
}
