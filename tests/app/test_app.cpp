#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "app/app.hpp"
#include "pg_harness.hpp"
#include "store/store.hpp"
#include "test_paths.hpp"

using namespace opskit;

TEST_CASE("ledger arguments redact secrets") {
  CHECK(app::redact_arguments({"batch", "--db", "postgresql://u:hunter2@h/db", "--token", "abc", "--header=Authorization: x"}) ==
        "batch --db postgresql://u:***@h/db --token *** --header=***");
  CHECK(app::redact_arguments({"--db", "host=/s user=u password=pw dbname=d"}) == "--db host=/s user=u password=*** dbname=d");
}

TEST_CASE("bash and zsh completion come from the command tree") {
  app::Tool tool("demo", "demo tool");
  std::string from;
  tool.add({{"lists", "update"}, "update lists"}, [&](CLI::App& c) { c.add_option("--from", from, "path"); }, nullptr);
  tool.add({{"lists", "show"}, "show lists"}, nullptr, nullptr);
  std::string bash = app::completion_script(tool.cli(), "bash");
  CHECK(bash.find("\"lists update\") COMPREPLY=($(compgen -W \"--help -h --from\"") != std::string::npos);
  CHECK(bash.find("complete -o default -F _opskit_demo demo") != std::string::npos);
  std::string zsh = app::completion_script(tool.cli(), "zsh");
  CHECK(zsh.find("#compdef demo") == 0);
  CHECK(zsh.find("'update' 'show'") != std::string::npos);
}

namespace {
// Runs `demo job ARGS...` of a Tool whose job, when asked to, holds its job
// lock until `release` is set.
int run_demo_job(const std::string& db, const std::vector<std::string>& args, std::atomic<bool>* started = nullptr,
                 std::atomic<bool>* release = nullptr) {
  app::Tool tool("demo", "demo tool");
  app::CommandSpec spec{{"job"}, "a job that writes"};
  spec.needs = app::Needs::tenant;
  spec.writes = true;
  tool.add(spec, nullptr, [&](app::Context&) {
    if (started) *started = true;
    while (release && !*release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return 0;
  });
  std::vector<std::string> words = {"demo", "--db", db, "--tenant", "acme", "-q", "job"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return tool.main(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("the job lock is per shard: shard workers run side by side, one shard never twice, a dry run beside any") {
  std::string db = test::temp_dir("lock") + "/lock.db";
  {
    auto d = store::Database::open(db);
    d->migrate();
    d->add_tenant("acme", "Acme");
  }
  std::atomic<bool> started{false}, release{false};
  int holder_rc = -1;
  std::thread holder([&] { holder_rc = run_demo_job(db, {"--shard", "0/4"}, &started, &release); });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(run_demo_job(db, {"--shard", "1/4"}) == 0);                           // another shard: runs
  CHECK(run_demo_job(db, {"--shard", "0/4"}) == static_cast<int>(ExitCode::locked));  // the same shard: exit 6
  CHECK(run_demo_job(db, {"--shard", "0/4", "--dry-run"}) == 0);                // a dry run takes no lock
  release = true;
  holder.join();
  CHECK(holder_rc == 0);
  CHECK(run_demo_job(db, {"--shard", "0/4"}) == 0);  // free again once the holder ended
}

TEST_CASE("libpq is loaded only by a run on a PostgreSQL URL, and one that cannot be loaded is a database error") {
  std::string dir = test::temp_dir("libpq");
  std::string opskit = test::bin("opskit");
  auto on_sqlite = test::libraries_loaded_by(opskit + " --db " + dir + "/t.db -q db migrate");
  CHECK(on_sqlite.count("libsqlite3.so.0") == 1);  // the trace sees what the run loads
  CHECK(on_sqlite.count("libpq.so.5") == 0);
  CHECK(on_sqlite.count("libcurl.so.4") == 0);
  REQUIRE(test::run_command("mkdir " + dir + "/broken && printf 'not a library' > " + dir + "/broken/libpq.so.5").exit_code == 0);
  auto broken = test::run_command("LD_LIBRARY_PATH=" + dir + "/broken " + opskit + " --db postgresql://app@localhost/x -q db status");
  CHECK(broken.exit_code == static_cast<int>(ExitCode::database));
  CHECK(broken.err.find("cannot load libpq.so.5 (the PostgreSQL client library, Debian package libpq5): " + dir +
                        "/broken/libpq.so.5") != std::string::npos);
  if (auto why = test::pg_unavailable()) {
    WARN(*why);
    return;
  }
  auto pg = test::pg_fresh_database(false);
  auto on_pg = test::libraries_loaded_by(opskit + " --db '" + pg.owner_url + "' -q db migrate");
  CHECK(on_pg.count("libpq.so.5") == 1);
  CHECK(on_pg.count("libcurl.so.4") == 0);
}
