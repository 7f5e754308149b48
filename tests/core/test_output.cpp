#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/output.hpp"
#include "core/text.hpp"
#include "test_paths.hpp"

using namespace opskit;

TEST_CASE("row writer: text aligns, json is one object per line, csv escapes") {
  nlohmann::json a = {{"name", "=cmd()"}, {"n", 1}}, b = {{"name", "x,y"}, {"n", 22}};
  std::ostringstream t, j, c;
  {
    RowWriter w(t, Format::text, {"name", "n"});
    w.row(a);
    w.row(b);
  }
  CHECK(t.str() == "name    n\n=cmd()  1\nx,y     22\n");
  {
    RowWriter w(j, Format::json, {"name", "n"});
    w.row(a);
  }
  CHECK(j.str() == "{\"n\":1,\"name\":\"=cmd()\"}\n");
  {
    RowWriter w(c, Format::csv, {"name", "n"});
    w.row(a);
    w.row(b);
  }
  CHECK(c.str() == "name,n\n'=cmd(),1\n\"x,y\",22\n");
}

TEST_CASE("metrics file is Prometheus text, written atomically") {
  MetricsFile m;
  m.gauge("opskit_rows", 3, "Rows", {{"tool", "screen"}});
  m.gauge("opskit_rows", 4, "Rows", {{"tool", "re\"port"}});
  std::string path = test::temp_dir("metrics") + "/opskit.prom";
  m.write(path);
  CHECK(text::read_file(path) ==
        "# HELP opskit_rows Rows\n# TYPE opskit_rows gauge\nopskit_rows{tool=\"screen\"} 3\nopskit_rows{tool=\"re\\\"port\"} 4\n");
}
