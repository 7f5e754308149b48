#pragma once
// The shared runner every executable uses: common options, layered config,
// logging, database and tenant set-up declared per command, the job-run
// ledger and lock, and the one catch site that maps errors to exit codes.
//
// A tool's main.cpp is a table of commands:
//
//   int main(int argc, char** argv) {
//     opskit::app::Tool tool("screen", "Sanctions and AML screening");
//     screen_cli::register_commands(tool);      // tool.add(...) per subcommand
//     return tool.main(argc, argv);
//   }
//
// and each subcommand is an options struct, a register function that adds
// its flags to the CLI11 app, and a run function:
//
//   tool.add({.path = {"lists", "update"}, .help = "...", .needs = app::Needs::tenant,
//             .writes = true},
//            [&](CLI::App& c) { c.add_option("--from", opts.from, "..."); },
//            [&](app::Context& ctx) { return run_update(opts, ctx); });
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/output.hpp"
#include "core/runtime.hpp"
#include "store/ledger.hpp"
#include "store/store.hpp"

namespace opskit::app {

// What a command needs before it runs; the runner provides it or fails.
enum class Needs {
  nothing,   // no database (e.g. `screen grade FILE`, `config show`)
  database,  // an open database at the expected schema, no tenant
  tenant,    // a tenant session (implies database); recorded in the ledger
};

struct CommandSpec {
  std::vector<std::string> path;  // {"lists", "update"}
  std::string help;
  Needs needs = Needs::tenant;
  bool writes = false;   // honours --dry-run; takes the job lock unless it is a dry run (nothing to serialise)
  bool ledger = true;    // record a job_runs row (tenant commands only)
  bool check_schema = true;  // false only for `opskit db migrate/status`
};

// Everything a command's run function gets.
struct Context {
  std::string tool;
  std::string command;  // "lists update"
  const Config& config;
  Logger& log;
  Format format = Format::text;
  bool dry_run = false;
  bool quiet = false;
  Shard shard;
  Clock clock;
  Random random;
  std::ostream& out;                 // data goes here (stdout)
  store::Database* db = nullptr;     // when needs >= database
  store::Session* session = nullptr; // when needs == tenant
  int64_t run_id = 0;                // job_runs id, 0 when not recorded
  std::map<std::string, int64_t> counts;  // rows handled etc.; recorded in the ledger and metrics
  std::map<std::string, int64_t> findings;  // by severity; for metrics

  store::Session& tenant_session() const;  // throws InternalError when absent
  store::Database& database() const;
};

using RunFn = std::function<int(Context&)>;
using RegisterFn = std::function<void(CLI::App&)>;

class Tool {
 public:
  Tool(std::string name, std::string description);
  ~Tool();
  // Adds a (sub)command; intermediate groups ("lists") are created as needed.
  void add(const CommandSpec& spec, const RegisterFn& register_fn, const RunFn& run_fn);
  // Config keys this tool understands, with defaults (shown by `config show`).
  void default_config(const std::string& key, const std::string& value);
  CLI::App& cli();
  // Parses, sets up, runs, records, maps every error to its exit code.
  int main(int argc, char** argv);
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The version line: "NAME 0.1.0 (commit abcdef123456)".
std::string version_line(const std::string& tool);

// Arguments as recorded in the ledger: values of secret-looking options
// (--password, --token, --header, ...) and passwords in URLs replaced by ***.
std::string redact_arguments(const std::vector<std::string>& args);

// The `opskit` admin commands: config show, db migrate|status|grant,
// tenant add|list|show, runs list|show, audit verify|export.
void register_admin_commands(Tool& tool);

// Shell completion scripts generated from a tool's command tree.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace opskit::app
