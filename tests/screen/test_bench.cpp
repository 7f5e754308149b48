// Measurements for `make bench` (hidden from the test run: tag [.bench]).
// Run: test_screen "[.bench]" -s
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

#include "labelled_set.hpp"
#include "screen/matcher.hpp"
#include "screen/parsers.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

namespace {
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
long rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return 0;
}
}  // namespace

TEST_CASE("screen figures: load+index, latency, throughput, memory", "[.bench]") {
  std::string dir = test::shared_data("sanctions");
  if (dir.empty()) {
    WARN("../shared/data/sanctions not found: no figures");
    return;
  }
  double c0 = cpu_seconds();
  auto w0 = std::chrono::steady_clock::now();
  std::vector<Entity> all;
  for (const auto& [list, path] : discover_lists(dir))
    for (auto& e : load_list_file(path, list).entities) all.push_back(std::move(e));
  double c1 = cpu_seconds();
  Matcher m(std::move(all));
  double c2 = cpu_seconds();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  auto st = m.stats();
  std::cout << "screen_parse_cpu_seconds " << (c1 - c0) << "\n"
            << "screen_index_cpu_seconds " << (c2 - c1) << "\n"
            << "screen_load_index_wall_seconds " << wall << "\n"
            << "screen_indexed_names " << st.names << " keys " << st.keys << " postings " << st.postings << "\n";
  // Queries: the labelled set (listed names and look-alikes) plus unlisted customer-like names.
  auto set = testing::make_labelled_set(m.entities(), 300, 11);
  std::vector<std::string> queries;
  for (const auto& c : set) queries.push_back(c.query);
  static const char* given[] = {"james", "maria", "li", "anna", "peter", "fatima", "john", "sofia", "lukas", "emma"};
  static const char* family[] = {"fernandes", "kowalski", "nguyen", "schmidt", "okafor", "tanaka", "dubois", "larsen"};
  for (int i = 0; i < 5000; ++i) queries.push_back(std::string(given[i % 10]) + " " + family[(i / 10) % 8] + " " + std::to_string(i % 97));
  std::vector<double> lat;
  lat.reserve(queries.size());
  double t0 = cpu_seconds();
  for (const auto& q : queries) {
    Query query;
    query.name = q;
    double a = cpu_seconds();
    (void)m.match(query);
    lat.push_back(cpu_seconds() - a);
  }
  double total = cpu_seconds() - t0;
  std::sort(lat.begin(), lat.end());
  std::cout << "screen_names_per_cpu_second " << static_cast<long>(queries.size() / total) << "\n"
            << "screen_check_p50_ms " << lat[lat.size() / 2] * 1000 << "\n"
            << "screen_check_p99_ms " << lat[lat.size() * 99 / 100] * 1000 << "\n"
            << "screen_peak_rss_mb " << rss_mb() << "\n";
}
