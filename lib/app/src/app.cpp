#include "app/app.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "core/text.hpp"

extern char** environ;

namespace opskit::app {

std::string version_line(const std::string& tool) {
  return tool + " " + OPSKIT_VERSION + " (commit " + OPSKIT_GIT_COMMIT + ")";
}

store::Session& Context::tenant_session() const {
  if (!session) throw InternalError("command needs a tenant session but was not declared with Needs::tenant");
  return *session;
}

store::Database& Context::database() const {
  if (!db) throw InternalError("command needs a database but was not declared with Needs::database");
  return *db;
}

std::string redact_arguments(const std::vector<std::string>& args) {
  static const char* secret_words[] = {"password", "passwd", "token", "secret", "header", "auth", "key", "cookie"};
  auto secret_flag = [](const std::string& a) {
    if (a.rfind("-", 0) != 0) return false;
    std::string l = text::lower(a);
    for (auto* w : secret_words)
      if (l.find(w) != std::string::npos) return true;
    return false;
  };
  std::string out;
  bool redact_next = false;
  for (const auto& a : args) {
    std::string v = a;
    if (redact_next) {
      v = "***";
      redact_next = false;
    } else if (secret_flag(a)) {
      auto eq = a.find('=');
      if (eq == std::string::npos) redact_next = true;
      else v = a.substr(0, eq + 1) + "***";
    } else {
      v = store::redact_url(a);
    }
    if (!out.empty()) out += ' ';
    out += v;
  }
  return out;
}

struct Command {
  CommandSpec spec;
  RunFn run;
  CLI::App* cli = nullptr;
};

struct Tool::Impl {
  std::string name;
  CLI::App app;
  std::vector<std::unique_ptr<Command>> commands;
  std::vector<std::pair<std::string, std::string>> defaults;
  // Common options as given on the command line.
  std::string db, tenant, config_path, format, log_level, log_format, now, seed, shard, metrics_file;
  int wait = -1;
  bool quiet = false, dry_run = false;
  std::string completion_shell;
  Impl(std::string n, std::string d) : name(std::move(n)), app(std::move(d), name) {}
};

Tool::Tool(std::string name, std::string description) : impl_(std::make_unique<Impl>(name, description)) {
  auto& app = impl_->app;
  app.set_version_flag("--version", version_line(name));
  app.fallthrough();
  app.require_subcommand(1);
  auto& i = *impl_;
  app.add_option("--db", i.db, "Database: a SQLite file path or a postgresql:// URI / service=NAME (env OPSKIT_DB; default ./opskit.db)");
  app.add_option("--tenant", i.tenant, "Tenant id (env OPSKIT_TENANT)");
  app.add_option("--config", i.config_path, "YAML config file (default $XDG_CONFIG_HOME/opskit/config.yaml, then /etc/opskit/config.yaml)");
  app.add_option("--format", i.format, "Output format: text, json (JSON lines) or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  app.add_flag("-q,--quiet", i.quiet, "Only warnings and errors on stderr");
  app.add_option("--log-level", i.log_level, "debug, info, warn, error or off")->check(CLI::IsMember({"debug", "info", "warn", "warning", "error", "off"}));
  app.add_option("--log-format", i.log_format, "text or json (default: text on a terminal, json otherwise)")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--dry-run", i.dry_run, "Do everything except write to the database");
  app.add_option("--wait", i.wait, "Seconds to wait for another run of the same job to finish (default 0: exit 6 at once)");
  app.add_option("--metrics-file", i.metrics_file, "Write Prometheus text-format metrics to this file (atomically)");
  app.add_option("--shard", i.shard, "Take only shard K of N of the input (K/N, 0 <= K < N)");
  app.add_option("--seed", i.seed, "Seed for every random choice (default 42)");
  app.add_option("--now", i.now, "Fix the clock (ISO-8601), for reproducible output");
  auto* comp = app.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  comp->add_option("shell", i.completion_shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
}

Tool::~Tool() = default;

CLI::App& Tool::cli() { return impl_->app; }
const std::string& Tool::name() const { return impl_->name; }

void Tool::default_config(const std::string& key, const std::string& value) { impl_->defaults.emplace_back(key, value); }

void Tool::add(const CommandSpec& spec, const RegisterFn& register_fn, const RunFn& run_fn) {
  CLI::App* parent = &impl_->app;
  for (size_t i = 0; i < spec.path.size(); ++i) {
    const auto& part = spec.path[i];
    CLI::App* child = nullptr;
    for (auto* sub : parent->get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == part) child = sub;
    bool leaf = i + 1 == spec.path.size();
    if (!child) {
      child = parent->add_subcommand(part, leaf ? spec.help : "");
      child->fallthrough();
    }
    if (!leaf) {
      child->require_subcommand(1);
      if (child->get_description().empty()) child->description(part + " commands");
    } else if (!spec.help.empty()) {
      child->description(spec.help);
    }
    parent = child;
  }
  auto cmd = std::make_unique<Command>();
  cmd->spec = spec;
  cmd->run = run_fn;
  cmd->cli = parent;
  if (register_fn) register_fn(*parent);
  impl_->commands.push_back(std::move(cmd));
}

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

int Tool::main(int argc, char** argv) {
  auto& i = *impl_;
  Logger log(i.name, stderr_is_tty() ? LogLevel::info : LogLevel::warn, !stderr_is_tty());
  try {
    i.app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return i.app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return i.app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << std::endl;
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << i.name << ": error: " << e.what() << "\n" << "Run '" << i.name << " --help' for usage.\n";
    return static_cast<int>(ExitCode::usage);
  }
  if (!i.completion_shell.empty()) {
    std::cout << completion_script(i.app, i.completion_shell);
    return 0;
  }

  Command* cmd = nullptr;
  for (auto& c : i.commands)
    if (c->cli->parsed()) cmd = c.get();
  if (!cmd) {
    std::cerr << i.app.help();
    return static_cast<int>(ExitCode::usage);
  }

  Config config;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Session> session;
  std::unique_ptr<store::Ledger> ledger;
  int64_t run_id = 0;
  auto record_end = [&](const std::string& status, int code, const std::map<std::string, int64_t>& counts, const std::string& msg) {
    if (!ledger || run_id == 0) return;
    try {
      ledger->finish(run_id, session->now_iso(), status, code, counts, msg);
    } catch (const std::exception& e) {
      log.warn(std::string("could not record the end of the run: ") + e.what());
    }
  };
  std::map<std::string, int64_t> counts;
  std::string command_name = join(cmd->spec.path, " ");
  try {
    // Configuration: defaults < file < environment < flags, each value with its origin.
    config.set_default("db", "./opskit.db");
    config.set_default("tenant", "");
    config.set_default("format", "text");
    config.set_default("log_level", stderr_is_tty() ? "info" : "warn");
    config.set_default("log_format", stderr_is_tty() ? "text" : "json");
    config.set_default("wait", "0");
    config.set_default("seed", "42");
    config.set_default("now", "");
    config.set_default("quiet", "false");
    config.set_default("metrics_file", "");
    for (auto& [k, v] : i.defaults) config.set_default(k, v);
    // Log settings from flags or environment apply before the config file is
    // read, so an error in that file is reported in the format asked for.
    if (!i.log_format.empty()) log.set_json(i.log_format == "json");
    else if (const char* e = std::getenv("OPSKIT_LOG_FORMAT"); e && *e) log.set_json(std::string(e) == "json");
    std::string explicit_path = i.config_path;
    if (explicit_path.empty())
      if (const char* e = std::getenv("OPSKIT_CONFIG"); e && *e) explicit_path = e;
    config.load_file(Config::default_file_path(explicit_path), !explicit_path.empty());
    config.load_environment(environ);
    auto flag = [&](const char* key, const std::string& value, const char* name) {
      if (i.app.get_option(name)->count() > 0) config.set_flag(key, value, name);
    };
    flag("db", i.db, "--db");
    flag("tenant", i.tenant, "--tenant");
    flag("format", i.format, "--format");
    flag("log_level", i.log_level, "--log-level");
    flag("log_format", i.log_format, "--log-format");
    flag("wait", std::to_string(i.wait), "--wait");
    flag("seed", i.seed, "--seed");
    flag("now", i.now, "--now");
    flag("metrics_file", i.metrics_file, "--metrics-file");
    if (i.quiet) config.set_flag("quiet", "true", "--quiet");

    log.set_json(config.get("log_format") == "json");
    log.set_level(parse_log_level(config.get("log_level")));
    bool quiet = config.get_bool("quiet", false);
    if (quiet && log.level() < LogLevel::warn) log.set_level(LogLevel::warn);

    Context ctx{i.name, command_name, config, log, parse_format(config.get("format")), i.dry_run, quiet, {}, {}, Random(static_cast<uint64_t>(config.get_int("seed", 42))), std::cout, nullptr, nullptr, 0, {}, {}};
    if (!i.shard.empty()) ctx.shard = Shard::parse(i.shard);
    std::string now_text = config.get("now");
    if (!now_text.empty()) {
      int64_t t;
      if (!parse_iso8601(now_text, t)) throw UsageError("--now / OPSKIT_NOW wants an ISO-8601 time, got '" + now_text + "'");
      ctx.clock = Clock(t);
      log.set_fixed_time(t);
    }

    if (cmd->spec.needs != Needs::nothing) {
      db = store::Database::open(config.get("db"));
      if (cmd->spec.check_schema) db->require_current_schema();
      ctx.db = db.get();
    }
    std::optional<store::JobLock> lock;
    if (cmd->spec.needs == Needs::tenant) {
      session = db->session(config.get("tenant"));
      Clock clock = ctx.clock;
      session->set_clock_iso([clock] { return clock.now_iso(); });
      ctx.session = session.get();
      if (cmd->spec.ledger) {
        ledger = std::make_unique<store::Ledger>(*session);
        std::vector<std::string> args(argv + 1, argv + argc);
        char host[256] = {0};
        gethostname(host, sizeof host - 1);
        run_id = ledger->start(i.name, command_name, redact_arguments(args), ctx.clock.now_iso(), host, static_cast<int>(getpid()));
        ctx.run_id = run_id;
      }
      // One lock per job and shard: the N workers of a sharded batch run side
      // by side, two runs of the same shard never interleave. A dry run
      // writes nothing, so it runs beside any other run without the lock.
      std::string job = i.name + " " + command_name + (ctx.shard.all() ? "" : " shard " + ctx.shard.str());
      if (cmd->spec.writes && !i.dry_run) lock.emplace(*session, job, run_id, static_cast<int>(config.get_int("wait", 0)));
    }

    int rc = cmd->run(ctx);
    counts = ctx.counts;
    std::cout.flush();
    record_end(rc == 0 ? (i.dry_run ? "dry-run" : "ok") : (rc == 1 ? "findings" : "failed"), rc, counts, "");
    std::string metrics = config.get("metrics_file");
    if (!metrics.empty()) {
      MetricsFile m;
      std::vector<std::pair<std::string, std::string>> labels{{"tool", i.name}, {"command", command_name}, {"tenant", config.get("tenant")}};
      m.gauge("opskit_run_exit_code", rc, "Exit code of the last run", labels);
      m.gauge("opskit_run_last_end_timestamp_seconds", static_cast<double>(ctx.clock.now_unix()), "When the last run ended", labels);
      if (rc == 0 || rc == 1) m.gauge("opskit_run_last_success_timestamp_seconds", static_cast<double>(ctx.clock.now_unix()), "When the last run succeeded", labels);
      for (auto& [k, v] : ctx.counts) {
        auto l = labels;
        l.emplace_back("kind", k);
        m.gauge("opskit_run_rows", static_cast<double>(v), "Rows handled by the last run, by kind", l);
      }
      for (auto& [sev, v] : ctx.findings) {
        auto l = labels;
        l.emplace_back("severity", sev);
        m.gauge("opskit_run_findings", static_cast<double>(v), "Findings of the last run, by severity", l);
      }
      m.write(metrics);
    }
    return rc;
  } catch (const Error& e) {
    std::cout.flush();
    log.error(e.what());
    std::string status = e.code() == ExitCode::locked ? "locked" : "failed";
    record_end(status, static_cast<int>(e.code()), counts, e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cout.flush();
    log.error(std::string("internal error: ") + e.what());
    record_end("failed", static_cast<int>(ExitCode::internal), counts, e.what());
    return static_cast<int>(ExitCode::internal);
  }
}

}  // namespace opskit::app
