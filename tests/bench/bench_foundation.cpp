// Foundation benchmarks (make bench, never part of the tests):
//   bench_foundation store URL ROWS [insert|upsert]
//                                     bulk write into transactions, rows/s:
//                                     insert into an empty table, or upsert
//                                     the same rows again over themselves
//                                     (on PostgreSQL also per CPU-second of
//                                     client and server backend together)
//   bench_foundation csv FILE [SEP]   CSV reading, MB/s
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "core/csv.hpp"
#include "store/store.hpp"

using namespace opskit;
using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) a process on this machine has used, from
// /proc/PID/stat; -1 when it cannot be read (a server on another host).
static double process_cpu_seconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  auto close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15 are utime and stime
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_foundation store URL ROWS [insert|upsert] | csv FILE [SEP]\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "store") {
    auto db = store::Database::open(argv[2]);
    long rows = argc > 3 ? std::stol(argv[3]) : 1000000;
    bool upsert = argc > 4 && std::string(argv[4]) == "upsert";
    try {
      db->add_tenant("bench", "bench");
    } catch (const Error&) {
    }
    auto s = db->session("bench");
    // The typical bulk-written tenant table: screened transactions, as a
    // 1,000,000-row `screen batch` writes them (natural key, two indexes),
    // with values that vary the way real rows do.
    static const char* kStatus[] = {"CLEAR", "CLEAR", "CLEAR", "FLAGGED", "BLOCKED"};
    static const char* kCountry[] = {"GB", "DE", "US", "FR", "NL", "IR", "RU", "CN"};
    long server_pid = -1;
    if (db->dialect() == store::Dialect::postgres)
      server_pid = std::get<int64_t>(*s->scalar("SELECT pg_backend_pid() WHERE $1::text IS NOT NULL"));
    const double server0 = server_pid > 0 ? process_cpu_seconds(server_pid) : -1;
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    s->transaction([&] {
      auto w = s->bulk({"transactions",
                        {"id", "kind", "date", "amount", "currency", "counterparty", "country", "dob", "entity_type", "source",
                         "sanctions_status", "compliance_score", "screened_at", "lists_hash"},
                        upsert ? std::vector<std::string>{"id"} : std::vector<std::string>{},
                        upsert ? std::vector<std::string>{"kind", "date", "amount", "currency", "counterparty", "country", "dob",
                                                          "entity_type", "source", "sanctions_status", "compliance_score",
                                                          "screened_at", "lists_hash"}
                               : std::vector<std::string>{}});
      // One row vector reused, as a tool streaming a file does: assigning
      // into its strings keeps their buffers.
      char id[32], date[16], name[48];
      store::Params row = {std::string(), std::string("transaction"), std::string(), 0.0, std::string("EUR"), std::string(),
                           std::string(), nullptr, std::string("entity"), std::string("batch-2026-11-22.csv"), std::string(),
                           0.0, std::string("2026-11-22T03:20:00Z"), std::string("9f2c4e1a77d0b3c5")};
      for (long i = 0; i < rows; ++i) {
        std::snprintf(id, sizeof id, "TX%09ld", i);
        std::snprintf(date, sizeof date, "2026-%02ld-%02ld", 1 + i % 12, 1 + i % 28);
        std::snprintf(name, sizeof name, "Counterparty %ld Trading Ltd", (i * 7919) % 250000);
        std::get<std::string>(row[0]).assign(id);
        std::get<std::string>(row[2]).assign(date);
        row[3] = static_cast<double>(i % 100000) / 7.0;
        std::get<std::string>(row[5]).assign(name);
        std::get<std::string>(row[6]).assign(kCountry[i % 8]);
        std::get<std::string>(row[10]).assign(kStatus[i % 5]);
        row[11] = static_cast<double>(i % 97);
        w->add(row);
      }
      w->flush();
    });
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("%.0f rows/s wall, %.0f rows/s per CPU-second of this process (%ld rows in %.2f s)", rows / secs, rows / cpu, rows, secs);
    const double server1 = server0 >= 0 ? process_cpu_seconds(server_pid) : -1;
    if (server1 >= 0)
      std::printf("; server backend %.2f CPU-s, %.0f rows/s per CPU-second of client and server together", server1 - server0,
                  rows / (cpu + server1 - server0));
    std::printf("\n");
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
