// Test helper: writes rows into audit-free job_runs inside ONE transaction,
// slowly, announcing on stdout when it is mid-write, so a test can SIGKILL
// it there and check that nothing was left behind.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

#include "store/store.hpp"

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  auto db = opskit::store::Database::open(argv[1]);
  auto s = db->session(argv[2]);
  int rows = std::stoi(argv[3]);
  s->transaction([&] {
    auto bulk = s->bulk({"job_runs", {"tool", "subcommand", "arguments", "started_at", "status", "host", "pid"}, {}, {}});
    for (int i = 0; i < rows; ++i) {
      bulk->add({std::string("batch"), std::string("write"), std::to_string(i), std::string("2026-01-01T00:00:00Z"),
                 std::string("ok"), std::string("h"), int64_t{1}});
      if (i == rows / 2) {
        bulk->flush();
        std::printf("mid-write %d\n", static_cast<int>(getpid()));
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(30));
      }
    }
    bulk->flush();
  });
  return 0;
}
