#pragma once
// Charts drawn by the program as inline SVG, from a section's table and its
// chart spec (see document.hpp). Every label is XML-escaped; the SVG has
// role="img", a <title> and a <desc>, and points at the table behind it
// (aria-describedby="<table_id>") so screen readers get the numbers.
// Types: bar (horizontal, one series), stacked_bar (vertical, series
// stacked, with a legend), time_series (one line per series over x),
// waterfall (running total of deltas, plus a total bar), histogram
// (adjacent vertical bars). Unknown types or tables with no rows give "".
#include <string>

#include <nlohmann/json.hpp>

namespace opskit::report {

std::string render_chart_svg(const nlohmann::json& section, const std::string& table_id);

}  // namespace opskit::report
