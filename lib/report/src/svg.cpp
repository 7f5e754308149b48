#include "report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/escape.hpp"

namespace opskit::report {
namespace {

using nlohmann::json;

// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
constexpr double kWidth = 640;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

std::string label_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "(none)";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return num(v.get<double>());
  return v.dump();
}

double value_of(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try { return std::stod(v.get<std::string>()); } catch (...) { return 0; }
  }
  return 0;
}

std::string shorten(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;  // UTF-8 boundary
  return s.substr(0, cut) + "\xE2\x80\xA6";
}

int column_index(const json& section, const std::string& key) {
  const auto& cols = section["table"]["columns"];
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i]["key"] == key) return static_cast<int>(i);
  return -1;
}

// A "nice" upper bound for an axis.
double nice_max(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

struct Frame {
  std::ostringstream o;
  double height;
  Frame(const json& section, const std::string& table_id, double h, const std::string& desc) : height(h) {
    const std::string id = section.value("id", std::string("chart"));
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 " << num(kWidth)
      << ' ' << num(h) << "\" width=\"" << num(kWidth) << "\" height=\"" << num(h) << "\" aria-labelledby=\"" << html_escape(id)
      << "-chart-title " << html_escape(id) << "-chart-desc\" aria-describedby=\"" << html_escape(table_id) << "\">"
      << "<title id=\"" << html_escape(id) << "-chart-title\">" << html_escape(section.value("title", std::string()))
      << "</title><desc id=\"" << html_escape(id) << "-chart-desc\">" << html_escape(desc) << "</desc>";
  }
  std::string done() {
    o << "</svg>";
    return o.str();
  }
};

void axis_y(std::ostringstream& o, double x0, double y0, double y1, double lo, double hi) {
  for (int k = 0; k <= 4; ++k) {
    double v = lo + (hi - lo) * k / 4;
    double y = y0 - (y0 - y1) * k / 4;
    o << "<line x1=\"" << num(x0) << "\" y1=\"" << num(y) << "\" x2=\"" << num(kWidth - 10) << "\" y2=\"" << num(y)
      << "\" stroke=\"#ddd\"/><text x=\"" << num(x0 - 4) << "\" y=\"" << num(y + 4)
      << "\" text-anchor=\"end\" font-size=\"11\">" << num(v) << "</text>";
  }
}

void legend(std::ostringstream& o, const std::vector<std::string>& names, double y) {
  double x = 60;
  for (size_t i = 0; i < names.size(); ++i) {
    o << "<rect x=\"" << num(x) << "\" y=\"" << num(y - 9) << "\" width=\"10\" height=\"10\" fill=\"" << kPalette[i % 8]
      << "\"/><text x=\"" << num(x + 14) << "\" y=\"" << num(y) << "\" font-size=\"11\">" << html_escape(shorten(names[i], 24))
      << "</text>";
    x += 30 + 7 * std::min<size_t>(names[i].size(), 24);
  }
}

std::string bar(const json& s, const std::string& tid, int xi, int yi, const std::string& unit) {
  const auto& rows = s["table"]["rows"];
  double mx = 0, mn = 0;
  for (auto& r : rows) {
    mx = std::max(mx, value_of(r[yi]));
    mn = std::min(mn, value_of(r[yi]));
  }
  const double bh = 18, gap = 6, left = 170, right = 60;
  double h = 20 + rows.size() * (bh + gap);
  Frame f(s, tid, h, "Bar chart of " + s["table"]["columns"][yi]["label"].get<std::string>() + " by " +
                         s["table"]["columns"][xi]["label"].get<std::string>() + ", " + std::to_string(rows.size()) + " bars");
  // Negative values (a score that fell) grow left of a zero line.
  double scale = (kWidth - left - right) / (mx - mn > 0 ? mx - mn : 1);
  const double zero = left - mn * scale;
  if (mn < 0)
    f.o << "<line x1=\"" << num(zero) << "\" y1=\"4\" x2=\"" << num(zero) << "\" y2=\"" << num(h - 4) << "\" stroke=\"#888\"/>";
  double y = 10;
  for (auto& r : rows) {
    double v = value_of(r[yi]);
    const double x = v < 0 ? zero + v * scale : zero, w = std::abs(v) * scale;
    f.o << "<text x=\"" << num(left - 6) << "\" y=\"" << num(y + 13) << "\" text-anchor=\"end\" font-size=\"12\">"
        << html_escape(shorten(label_of(r[xi]), 26)) << "</text><rect x=\"" << num(x) << "\" y=\"" << num(y)
        << "\" width=\"" << num(w) << "\" height=\"" << num(bh) << "\" fill=\"" << kPalette[v < 0 ? 3 : 0]
        << "\"/><text x=\"" << num((v < 0 ? zero : zero + w) + 4) << "\" y=\"" << num(y + 13) << "\" font-size=\"12\">"
        << html_escape(label_of(r[yi]) + (unit.empty() ? "" : " " + unit)) << "</text>";
    y += bh + gap;
  }
  return f.done();
}

// Vertical bars: stacked series, or one series drawn adjacent (histogram).
std::string columns_chart(const json& s, const std::string& tid, int xi, const std::vector<int>& ys, bool histogram) {
  const auto& rows = s["table"]["rows"];
  const auto& cols = s["table"]["columns"];
  double mx = 0;
  for (auto& r : rows) {
    double t = 0;
    for (int yi : ys) t += std::max(0.0, value_of(r[yi]));
    mx = std::max(mx, t);
  }
  mx = nice_max(mx);
  const double left = 50, top = 14, plot_h = 180, bottom = histogram ? 60 : 80;
  double h = top + plot_h + bottom;
  std::string what = histogram ? "Histogram of " : "Stacked bar chart of ";
  std::vector<std::string> names;
  for (int yi : ys) names.push_back(cols[yi]["label"].get<std::string>());
  std::string joined;
  for (auto& n : names) joined += (joined.empty() ? "" : ", ") + n;
  Frame f(s, tid, h, what + joined + " by " + cols[xi]["label"].get<std::string>() + ", " + std::to_string(rows.size()) + " bars");
  double y0 = top + plot_h;
  axis_y(f.o, left, y0, top, 0, mx);
  double slot = (kWidth - left - 10) / std::max<size_t>(rows.size(), 1);
  double bw = histogram ? slot : std::max(2.0, slot * 0.7);
  size_t every = std::max<size_t>(1, rows.size() / 12);  // keep x labels legible
  for (size_t i = 0; i < rows.size(); ++i) {
    double x = left + i * slot + (slot - bw) / 2;
    double acc = 0;
    for (size_t k = 0; k < ys.size(); ++k) {
      double v = std::max(0.0, value_of(rows[i][ys[k]]));
      double hh = v / mx * plot_h;
      f.o << "<rect x=\"" << num(x) << "\" y=\"" << num(y0 - acc - hh) << "\" width=\"" << num(bw) << "\" height=\"" << num(hh)
          << "\" fill=\"" << kPalette[k % 8] << "\"" << (histogram ? " stroke=\"#fff\"" : "") << "><title>"
          << html_escape(label_of(rows[i][xi]) + ": " + names[k] + " " + label_of(rows[i][ys[k]])) << "</title></rect>";
      acc += hh;
    }
    if (i % every == 0)
      f.o << "<text x=\"" << num(x + bw / 2) << "\" y=\"" << num(y0 + 14) << "\" text-anchor=\"middle\" font-size=\"10\">"
          << html_escape(shorten(label_of(rows[i][xi]), 12)) << "</text>";
  }
  if (!histogram) legend(f.o, names, y0 + 40);
  return f.done();
}

std::string time_series(const json& s, const std::string& tid, int xi, const std::vector<int>& ys) {
  const auto& rows = s["table"]["rows"];
  const auto& cols = s["table"]["columns"];
  double mx = 0;
  for (auto& r : rows)
    for (int yi : ys) mx = std::max(mx, value_of(r[yi]));
  mx = nice_max(mx);
  const double left = 50, top = 14, plot_h = 180;
  double h = top + plot_h + 70;
  std::vector<std::string> names;
  for (int yi : ys) names.push_back(cols[yi]["label"].get<std::string>());
  Frame f(s, tid, h, "Time series of " + std::to_string(ys.size()) + " series over " + std::to_string(rows.size()) + " points");
  double y0 = top + plot_h;
  axis_y(f.o, left, y0, top, 0, mx);
  double step = rows.size() > 1 ? (kWidth - left - 20) / (rows.size() - 1) : 0;
  for (size_t k = 0; k < ys.size(); ++k) {
    // A missing value (null) is a gap in the line, not a zero.
    for (size_t i = 0; i < rows.size();) {
      if (rows[i][ys[k]].is_null()) {
        ++i;
        continue;
      }
      f.o << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kPalette[k % 8] << "\" points=\"";
      for (size_t first = i; i < rows.size() && !rows[i][ys[k]].is_null(); ++i)
        f.o << (i > first ? " " : "") << num(left + 10 + i * step) << ',' << num(y0 - value_of(rows[i][ys[k]]) / mx * plot_h);
      f.o << "\"/>";
    }
    for (size_t i = 0; i < rows.size(); ++i)
      if (!rows[i][ys[k]].is_null())
        f.o << "<circle r=\"3\" fill=\"" << kPalette[k % 8] << "\" cx=\"" << num(left + 10 + i * step) << "\" cy=\""
            << num(y0 - value_of(rows[i][ys[k]]) / mx * plot_h) << "\"><title>"
            << html_escape(label_of(rows[i][xi]) + ": " + names[k] + " " + label_of(rows[i][ys[k]])) << "</title></circle>";
  }
  size_t every = std::max<size_t>(1, rows.size() / 8);
  for (size_t i = 0; i < rows.size(); i += every)
    f.o << "<text x=\"" << num(left + 10 + i * step) << "\" y=\"" << num(y0 + 14) << "\" text-anchor=\"middle\" font-size=\"10\">"
        << html_escape(shorten(label_of(rows[i][xi]), 12)) << "</text>";
  legend(f.o, names, y0 + 40);
  return f.done();
}

std::string waterfall(const json& s, const std::string& tid, int xi, int yi) {
  const auto& rows = s["table"]["rows"];
  // Running totals, including the start 0 and the total bar.
  std::vector<double> level{0};
  for (auto& r : rows) level.push_back(level.back() + value_of(r[yi]));
  double lo = std::min(0.0, *std::min_element(level.begin(), level.end()));
  double hi = std::max(0.0, *std::max_element(level.begin(), level.end()));
  double span = nice_max(hi - lo);
  const double left = 50, top = 14, plot_h = 180;
  double h = top + plot_h + 50;
  Frame f(s, tid, h, "Waterfall of " + std::to_string(rows.size()) + " steps, total " + num(level.back()));
  double y0 = top + plot_h;
  auto Y = [&](double v) { return y0 - (v - lo) / span * plot_h; };
  axis_y(f.o, left, y0, top, lo, lo + span);
  size_t n = rows.size() + 1;
  double slot = (kWidth - left - 10) / n, bw = slot * 0.7;
  for (size_t i = 0; i < n; ++i) {
    bool total = i == rows.size();
    double a = total ? 0 : level[i], b = level[i + (total ? 0 : 1)];
    if (total) b = level.back();
    double x = left + i * slot + (slot - bw) / 2;
    const char* colour = total ? "#555555" : (b >= a ? kPalette[2] : kPalette[3]);
    std::string label = total ? std::string("Total") : label_of(rows[i][xi]);
    f.o << "<rect x=\"" << num(x) << "\" y=\"" << num(Y(std::max(a, b))) << "\" width=\"" << num(bw) << "\" height=\""
        << num(std::max(1.0, std::abs(Y(a) - Y(b)))) << "\" fill=\"" << colour << "\"><title>"
        << html_escape(label + ": " + (total ? num(b) : label_of(rows[i][yi]))) << "</title></rect><text x=\""
        << num(x + bw / 2) << "\" y=\"" << num(y0 + 14) << "\" text-anchor=\"middle\" font-size=\"10\">"
        << html_escape(shorten(label, 12)) << "</text>";
  }
  return f.done();
}

}  // namespace

std::string render_chart_svg(const json& section, const std::string& table_id) {
  if (!section.contains("chart") || !section.contains("table")) return {};
  const auto& chart = section["chart"];
  if (section["table"]["rows"].empty()) return {};
  int xi = column_index(section, chart.value("x", std::string()));
  std::vector<int> ys;
  for (auto& k : chart.value("series", json::array())) {
    int i = column_index(section, k.get<std::string>());
    if (i >= 0) ys.push_back(i);
  }
  if (xi < 0 || ys.empty()) return {};
  const std::string type = chart.value("type", std::string());
  const std::string unit = chart.value("unit", std::string());
  if (type == "bar") return bar(section, table_id, xi, ys[0], unit);
  if (type == "stacked_bar") return columns_chart(section, table_id, xi, ys, false);
  if (type == "histogram") return columns_chart(section, table_id, xi, {ys[0]}, true);
  if (type == "time_series") return time_series(section, table_id, xi, ys);
  if (type == "waterfall") return waterfall(section, table_id, xi, ys[0]);
  return {};
}

}  // namespace opskit::report
