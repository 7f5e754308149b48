// The `opskit` admin commands: configuration, schema, tenants, runs, audit.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "app/app.hpp"

namespace opskit::app {

namespace {

struct AdminOptions {
  std::string tenant_id, tenant_name, role, tool;
  int limit = 20;
  int64_t run_id = 0;
};

void print_run(const store::RunRecord& r, RowWriter& w) {
  nlohmann::json counts = r.counts;
  w.row({{"id", r.id}, {"tool", r.tool}, {"command", r.subcommand}, {"status", r.status}, {"exit", r.exit_code},
         {"started_at", r.started_at}, {"finished_at", r.finished_at}, {"host", r.host}, {"counts", counts.dump()},
         {"arguments", r.arguments}, {"message", r.message}});
}

}  // namespace

void register_admin_commands(Tool& tool) {
  auto o = std::make_shared<AdminOptions>();

  tool.add({{"config", "show"}, "Print every configuration value with where it came from", Needs::nothing},
           nullptr, [](Context& ctx) {
             RowWriter w(ctx.out, ctx.format, {"key", "value", "origin", "source"});
             for (const auto& [k, v] : ctx.config.values()) {
               std::string value = v.value;
               if (k == "db") value = store::redact_url(value);
               w.row({{"key", k}, {"value", value}, {"origin", origin_name(v.origin)}, {"source", v.source}});
             }
             return 0;
           });

  tool.add({.path = {"db", "migrate"}, .help = "Apply pending schema migrations (run as the database owner)",
            .needs = Needs::database, .check_schema = false},
           nullptr, [](Context& ctx) {
             auto st = ctx.database().migration_status();
             if (ctx.dry_run) {
               for (auto& [n, name] : st.pending) ctx.out << "would apply " << name << "\n";
               return 0;
             }
             int n = ctx.database().migrate();
             ctx.log.info("applied " + std::to_string(n) + " migration(s); schema at version " + std::to_string(st.expected));
             ctx.counts["migrations"] = n;
             return 0;
           });

  tool.add({.path = {"db", "status"}, .help = "Show the schema version and pending migrations",
            .needs = Needs::database, .check_schema = false},
           nullptr, [](Context& ctx) {
             auto st = ctx.database().migration_status();
             RowWriter w(ctx.out, ctx.format, {"database", "backend", "current", "expected", "pending"});
             std::string pending;
             for (auto& [n, name] : st.pending) pending += (pending.empty() ? "" : " ") + name;
             w.row({{"database", ctx.database().url_redacted()},
                    {"backend", ctx.database().dialect() == store::Dialect::sqlite ? "sqlite" : "postgresql"},
                    {"current", st.current}, {"expected", st.expected}, {"pending", pending}});
             return st.pending.empty() ? 0 : static_cast<int>(ExitCode::database);
           });

  tool.add({.path = {"db", "grant"}, .help = "Grant an app role what the tools need (PostgreSQL; run as the owner)",
            .needs = Needs::database},
           [o](CLI::App& c) { c.add_option("role", o->role, "Role the tools connect as")->required(); },
           [o](Context& ctx) {
             ctx.database().grant_app_role(o->role);
             return 0;
           });

  tool.add({.path = {"tenant", "add"}, .help = "Create a tenant", .needs = Needs::database},
           [o](CLI::App& c) {
             c.add_option("id", o->tenant_id, "Tenant id (letters, digits, - _ .)")->required();
             c.add_option("--name", o->tenant_name, "Display name");
           },
           [o](Context& ctx) {
             if (ctx.dry_run) return 0;
             ctx.database().add_tenant(o->tenant_id, o->tenant_name.empty() ? o->tenant_id : o->tenant_name);
             ctx.log.info("tenant '" + o->tenant_id + "' created");
             return 0;
           });

  tool.add({.path = {"tenant", "list"}, .help = "List tenants", .needs = Needs::database}, nullptr, [](Context& ctx) {
    RowWriter w(ctx.out, ctx.format, {"id", "name", "created_at"});
    for (auto& t : ctx.database().tenants()) w.row({{"id", t.id}, {"name", t.name}, {"created_at", t.created_at}});
    return 0;
  });

  tool.add({.path = {"tenant", "show"}, .help = "Show one tenant", .needs = Needs::database},
           [o](CLI::App& c) { c.add_option("id", o->tenant_id, "Tenant id")->required(); },
           [o](Context& ctx) {
             for (auto& t : ctx.database().tenants())
               if (t.id == o->tenant_id) {
                 RowWriter w(ctx.out, ctx.format, {"id", "name", "created_at"});
                 w.row({{"id", t.id}, {"name", t.name}, {"created_at", t.created_at}});
                 return 0;
               }
             ctx.database().session(o->tenant_id);  // throws the "unknown tenant" error with the list
             return 0;
           });

  tool.add({.path = {"runs", "list"}, .help = "List recent job runs of the tenant", .ledger = false},
           [o](CLI::App& c) {
             c.add_option("--limit", o->limit, "How many (default 20)");
             c.add_option("--tool", o->tool, "Only runs of this tool");
           },
           [o](Context& ctx) {
             store::Ledger ledger(ctx.tenant_session());
             RowWriter w(ctx.out, ctx.format, {"id", "tool", "command", "status", "exit", "started_at", "finished_at", "counts"});
             for (auto& r : ledger.list(o->limit, o->tool)) print_run(r, w);
             return 0;
           });

  tool.add({.path = {"runs", "show"}, .help = "Show one job run", .ledger = false},
           [o](CLI::App& c) { c.add_option("id", o->run_id, "Run id")->required(); },
           [o](Context& ctx) {
             store::Ledger ledger(ctx.tenant_session());
             auto r = ledger.get(o->run_id);
             if (!r) throw DataError("no run " + std::to_string(o->run_id) + " for tenant '" + ctx.tenant_session().tenant() + "'");
             RowWriter w(ctx.out, ctx.format, {"id", "tool", "command", "status", "exit", "started_at", "finished_at", "host", "counts", "arguments", "message"});
             print_run(*r, w);
             return 0;
           });

  tool.add({.path = {"audit", "verify"}, .help = "Verify the tenant's hash-chained audit log (exit 1 when broken)", .ledger = false},
           nullptr, [](Context& ctx) {
             auto v = store::verify_audit(ctx.tenant_session());
             RowWriter w(ctx.out, ctx.format, {"tenant", "rows", "ok", "first_bad_row", "reason"});
             w.row({{"tenant", ctx.tenant_session().tenant()}, {"rows", v.rows}, {"ok", v.ok},
                    {"first_bad_row", v.ok ? nlohmann::json(nullptr) : nlohmann::json(v.first_bad_seq)}, {"reason", v.reason}});
             w.finish();
             if (!v.ok) {
               ctx.findings["critical"] = 1;
               ctx.log.error("audit chain broken at row " + std::to_string(v.first_bad_seq) + ": " + v.reason);
               return static_cast<int>(ExitCode::findings);
             }
             return 0;
           });

  tool.add({.path = {"audit", "export"}, .help = "Write the audit chain as JSON lines", .ledger = false}, nullptr,
           [](Context& ctx) {
             store::export_audit(ctx.tenant_session(), ctx.out);
             return 0;
           });
}

}  // namespace opskit::app
