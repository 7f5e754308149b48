// Foundation benchmarks (make bench, never part of the tests):
//   bench_foundation store URL ROWS   bulk insert into job_runs, rows/s
//   bench_foundation csv FILE [SEP]   CSV reading, MB/s
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "core/csv.hpp"
#include "store/store.hpp"

using namespace opskit;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_foundation store URL ROWS | csv FILE\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "store") {
    auto db = store::Database::open(argv[2]);
    long rows = argc > 3 ? std::stol(argv[3]) : 1000000;
    try {
      db->add_tenant("bench", "bench");
    } catch (const Error&) {
    }
    auto s = db->session("bench");
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    s->transaction([&] {
      auto w = s->bulk({"job_runs", {"tool", "subcommand", "arguments", "started_at", "finished_at", "status", "exit_code", "counts", "host", "pid"}, {}, {}});
      for (long i = 0; i < rows; ++i)
        w->add({std::string("screen"), std::string("batch"), "--shard " + std::to_string(i % 4) + "/4",
                std::string("2026-11-22T03:20:00Z"), std::string("2026-11-22T03:21:00Z"), std::string("ok"), int64_t{0},
                std::string("{\"rows\":1000}"), std::string("worker-1"), static_cast<int64_t>(i)});
      w->flush();
    });
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("%.0f rows/s wall, %.0f rows/s per CPU-second of this process (%ld rows in %.2f s)\n", rows / secs, rows / cpu, rows, secs);
    return 0;
  }
  if (mode == "csv") {
    csv::Options o;
    if (argc > 3) o.separator = argv[3][0];
    auto r = csv::Reader::open(argv[2], o);
    csv::Record rec;
    long records = 0;
    size_t fields = 0;
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    while (r->next(rec)) {
      ++records;
      fields += rec.size();
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double mb = static_cast<double>(r->bytes_read()) / 1e6;
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("%.0f MB/s wall, %.0f MB/s per CPU-second (%.1f MB, %ld records, %zu fields in %.2f s)\n", mb / secs, mb / cpu, mb, records, fields, secs);
    return 0;
  }
  return 2;
}
