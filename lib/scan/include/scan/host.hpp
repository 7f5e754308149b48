#pragma once
// Audit of the machine we run on, by reading the system directly (no
// shelling out): OS and kernel, reboot/automatic-update state, packages
// with pending security updates (dpkg status against apt's security indexes), listening
// sockets and their processes, users and sudoers, SSH server settings,
// firewall state, kernel hardening sysctls, disk encryption where visible,
// audit daemon. Every check says whether it applies here; the hardening
// index (0-100) is the severity-weighted share of applicable checks passed.
// `root` prefixes every path so tests can audit a fabricated tree.
#include <string>
#include <vector>

#include "scan/findings.hpp"
#include "scan/packages.hpp"
#include "scan/scanner.hpp"

namespace opskit::scan {

struct HostCheck {
  std::string id;        // "ssh.permit-root-login"
  std::string title;
  Severity severity = Severity::low;
  bool applies = true;
  bool passed = true;
  std::string evidence;
};

struct HostAudit {
  std::string hostname, os, kernel;
  std::vector<HostCheck> checks;
  std::vector<PendingUpdate> security_updates;  // behind the security archive
  int index = 0;  // hardening index 0-100
  double elapsed_ms = 0;
};

HostAudit audit_host(const std::string& root = "/");
int hardening_index(const std::vector<HostCheck>& checks);
// As an endpoint result ("host:<hostname>", score = index) with one finding per failed check.
EndpointResult host_result(const HostAudit& audit);

}  // namespace opskit::scan
