// Pure rendering: escaping, charts, templates, CSV, no database.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "report/document.hpp"
#include "report/escape.hpp"
#include "report/render.hpp"
#include "report/svg.hpp"
#include "report/templates.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::report;
using nlohmann::json;

namespace {

const std::string kEvil = "<img src=x onerror=alert(1)>\"'&";

json sample_document() {
  json doc = new_document("runs", "Job runs", "acme<b>", "", "2026-11-20T12:00:00Z", "", "2026-11-20T12:00:00Z");
  Section s("by_tool", "Runs per tool");
  s.fact("Runs", 3).fact("Name", kEvil);
  s.columns({{"tool", "Tool"}, {"runs", "Runs", "int"}, {"mean", "Mean", "real"}, {"note", "Note"}});
  s.row({kEvil, 2, 1.5, "=SUM(A1:A2)"});
  s.row({"screen", -1, 0.25, "+1 -2 @x"});
  s.chart("bar", "tool", {"runs"});
  add_section(doc, s);
  Section e("empty", "Nothing here");
  e.columns({{"a", "A"}}).empty_note("No rows yet.");
  add_section(doc, e);
  return doc;
}

std::string tmp_file(const std::string& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir + "/" + name) << text;
  return dir + "/" + name;
}

}  // namespace

TEST_CASE("escaping per output neutralises hostile values") {
  CHECK(html_escape(kEvil) == "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
  CHECK(markdown_escape("[a](javascript:x) <b>|") == "\\[a\\](javascript:x) &lt;b&gt;\\|");
  CHECK(markdown_escape("# h - 1") == "\\# h - 1");
  CHECK(text_escape("ok\x1b[31mred\x07") == "ok[31mred");
  CHECK(csv_cell("=1+2") == "'=1+2");
  CHECK(csv_cell("@cmd") == "'@cmd");
  CHECK(csv_cell("-3") == "-3");  // a signed number is data
  CHECK(csv_cell("-2+cmd") == "'-2+cmd");
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("\tx").rfind("'", 0) == 0);
}

TEST_CASE("clean_text repairs UTF-8 and drops control characters") {
  CHECK(clean_text("a\x01" "b\x7f" "c") == "abc");
  CHECK(clean_text("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(clean_text("bad\xff") == "bad\xEF\xBF\xBD");
  CHECK(clean_text("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate is not UTF-8
  CHECK(clean_text("tab\tnl\n") == "tab\tnl\n");
}

TEST_CASE("every chart type draws accessible, escaped SVG") {
  for (const char* type : {"bar", "stacked_bar", "time_series", "waterfall", "histogram"}) {
    Section s("s1", "Title " + kEvil);
    s.columns({{"x", "X"}, {"a", "A", "int"}, {"b", "B", "real"}});
    s.row({"2026-11-01", 3, 1.5}).row({kEvil, -2, 4.0}).row({"2026-11-03", 5, 0.0});
    s.chart(type, "x", {"a", "b"});
    const std::string svg = render_chart_svg(s.json(), "t-s1");
    INFO(type);
    REQUIRE(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("role=\"img\"") != std::string::npos);
    CHECK(svg.find("aria-describedby=\"t-s1\"") != std::string::npos);
    CHECK(svg.find("<title") != std::string::npos);
    CHECK(svg.find("<desc") != std::string::npos);
    CHECK(svg.find("<img") == std::string::npos);
    CHECK(svg.find("nan") == std::string::npos);
  }
  Section none("s2", "No rows");
  none.columns({{"x", "X"}, {"a", "A", "int"}}).chart("bar", "x", {"a"});
  CHECK(render_chart_svg(none.json(), "t").empty());
  none.row({"a", 1}).chart("pie", "x", {"a"});
  CHECK(render_chart_svg(none.json(), "t").empty());
}

TEST_CASE("waterfall ends in a total bar") {
  Section s("w", "Waterfall");
  s.columns({{"step", "Step"}, {"delta", "Delta", "real"}}).row({"base", 10.0}).row({"price", -4.0}).row({"volume", 2.0});
  s.chart("waterfall", "step", {"delta"});
  const std::string svg = render_chart_svg(s.json(), "t-w");
  CHECK(svg.find("Total: 8") != std::string::npos);
  CHECK(svg.find("total 8") != std::string::npos);
}

TEST_CASE("json output is the document on one line") {
  const json doc = sample_document();
  const std::string out = render(doc, {OutputFormat::json, "", nullptr});
  REQUIRE(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);
  CHECK(json::parse(out) == doc);
  CHECK(json::parse(out)["schema_version"] == 1);
}

TEST_CASE("csv output is tidy, numbers bare, formulas neutralised") {
  const json doc = sample_document();
  const std::string out = render(doc, {OutputFormat::csv, "", nullptr});
  CHECK(out.rfind("section,row,column,value\r\n", 0) == 0);
  CHECK(out.find("by_tool,fact,Runs,3\r\n") != std::string::npos);
  CHECK(out.find("by_tool,1,note,'=SUM(A1:A2)\r\n") != std::string::npos);
  CHECK(out.find("by_tool,2,runs,-1\r\n") != std::string::npos);  // a number, not a formula
  CHECK(out.find("by_tool,2,mean,0.25\r\n") != std::string::npos);
  CHECK(out.find("by_tool,2,note,'+1 -2 @x\r\n") != std::string::npos);
  RenderOptions one{OutputFormat::csv, "by_tool"};
  const std::string table = render(doc, one);
  CHECK(table.rfind("tool,runs,mean,note\r\n", 0) == 0);
  CHECK(table.find("screen,-1,0.25,'+1 -2 @x\r\n") != std::string::npos);
  RenderOptions bad{OutputFormat::csv, "nope"};
  CHECK_THROWS_WITH(render(doc, bad), Catch::Contains("by_tool, empty"));
}

TEST_CASE("html output escapes every database value and is self-contained") {
  const std::string html = render(sample_document(), {OutputFormat::html, "", nullptr});
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("acme<b>") == std::string::npos);
  CHECK(html.find("acme&lt;b&gt;") != std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<table id=\"t-by_tool\">") != std::string::npos);
  CHECK(html.find("<th scope=\"col\"") != std::string::npos);
  CHECK(html.find("No rows yet.") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  for (const char* fetch : {"src=\"", "href=\"", "url(", "@import", "https://"})  // nothing fetched from elsewhere
    CHECK(html.find(fetch) == std::string::npos);
}

TEST_CASE("markdown and text outputs escape and align") {
  const std::string md = render(sample_document(), {OutputFormat::md, "", nullptr});
  CHECK(md.find("<img") == std::string::npos);
  CHECK(md.find("| Tool | Runs | Mean | Note |") != std::string::npos);
  CHECK(md.find("| --- | ---: | ---: | --- |") != std::string::npos);
  const std::string text = render(sample_document(), {OutputFormat::text, "", nullptr});
  CHECK(text.find("== Runs per tool") != std::string::npos);
  CHECK(text.find("Tool") != std::string::npos);
  CHECK(text.find("(No rows yet.)") != std::string::npos);
  CHECK(text.find("&lt;") == std::string::npos);  // no HTML entities in plain text
}

TEST_CASE("template syntax errors name file, line and column") {
  const std::string dir = test::temp_dir("tpl");
  tmp_file(dir, "report.html.mustache", "<html>\n<body>\n  {{#sections}}\n  {{title}}\n</body>\n");
  TemplateSet set(dir);
  const auto tpl = set.find("runs", "html");
  CHECK(tpl.name == dir + "/report.html.mustache");
  try {
    render(sample_document(), {OutputFormat::html, "", &set});
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(e.where().file == dir + "/report.html.mustache");
    CHECK(e.where().line == 3);
    CHECK(e.where().column == 3);
    CHECK(std::string(e.what()).find("sections") != std::string::npos);
  }
  tmp_file(dir, "runs.text.mustache", "line one\nbad {{ unclosed\n");
  try {
    check_template(set.find("runs", "text"));
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(e.where().line == 2);
    CHECK(e.where().column == 5);
  }
}

TEST_CASE("templates override per kind, then per format, then built in") {
  const std::string dir = test::temp_dir("tpl");
  tmp_file(dir, "runs.md.mustache", "KIND {{kind}} for {{tenant}}\n");
  TemplateSet set(dir);
  CHECK(render(sample_document(), {OutputFormat::md, "", &set}) == "KIND runs for acme&lt;b&gt;\n");
  CHECK(set.find("audit", "md").name == "<embedded>/report.md.mustache");
  CHECK(set.list().count("runs.md.mustache") == 1);
  CHECK_THROWS_AS(TemplateSet(dir + "/missing"), DataError);
  CHECK_THROWS_AS(set.find("runs", "docx"), DataError);
}

TEST_CASE("the built-in templates all compile") {
  TemplateSet set;
  REQUIRE(set.list().size() >= 3);
  for (const auto& [name, src] : set.list()) CHECK_NOTHROW(check_template(set.load(name)));
}

TEST_CASE("output formats parse, unknown ones list the known") {
  CHECK(parse_output_format("html") == OutputFormat::html);
  CHECK(parse_output_format("markdown") == OutputFormat::md);
  CHECK_THROWS_WITH(parse_output_format("docx"), Catch::Contains("text, json, csv, md, html, pdf"));
}
