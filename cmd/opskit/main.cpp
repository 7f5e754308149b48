// opskit: the admin executable (tenants, schema, job runs, audit log, config).
#include "app/app.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("opskit", "opskit administration: configuration, database schema, tenants, job runs, audit log");
  opskit::app::register_admin_commands(tool);
  return tool.main(argc, argv);
}
