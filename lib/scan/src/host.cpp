#include "scan/host.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "scan/packages.hpp"

namespace opskit::scan {
namespace fs = std::filesystem;
namespace {

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
  return out;
}

std::string slurp(const std::string& path, size_t limit = 1 << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string s;
  s.resize(limit);
  in.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

bool exists(const std::string& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  for (auto& l : text::split(s, '\n')) out.emplace_back(text::trim(l));
  return out;
}

struct Auditor {
  std::string root;
  HostAudit a;
  std::string p(const std::string& path) const { return root == "/" ? path : root + path; }

  void add(std::string id, std::string title, Severity sev, bool applies, bool passed, std::string evidence) {
    a.checks.push_back({std::move(id), std::move(title), sev, applies, passed, redact(evidence, 200)});
  }

  void os() {
    for (const auto& l : lines(slurp(p("/etc/os-release"))))
      if (l.starts_with("PRETTY_NAME=")) {
        a.os = l.substr(12);
        if (a.os.size() >= 2 && a.os.front() == '"') a.os = a.os.substr(1, a.os.size() - 2);
      }
    a.kernel = std::string(text::trim(slurp(p("/proc/sys/kernel/osrelease"))));
    a.hostname = std::string(text::trim(slurp(p("/proc/sys/kernel/hostname"))));
    if (a.hostname.empty()) a.hostname = std::string(text::trim(slurp(p("/etc/hostname"))));
    if (a.hostname.empty()) a.hostname = "localhost";
  }

  void updates() {
    bool reboot = exists(p("/var/run/reboot-required")) || exists(p("/run/reboot-required"));
    add("updates.reboot-required", "A reboot is pending to finish updates", Severity::medium, true, !reboot,
        reboot ? slurp(p("/var/run/reboot-required.pkgs"), 512) : "");
    std::string auto_cfg = slurp(p("/etc/apt/apt.conf.d/20auto-upgrades"));
    bool apt = exists(p("/etc/apt"));
    bool enabled = auto_cfg.find("Unattended-Upgrade \"1\"") != std::string::npos;
    add("updates.automatic-security", "Automatic security updates (unattended-upgrades) enabled", Severity::medium, apt,
        enabled, apt ? (enabled ? "APT::Periodic::Unattended-Upgrade \"1\"" : "not configured") : "");
  }

  // Installed packages older than what the security archive offers. Applies
  // only when both dpkg's status and a security index are here to compare.
  void security_updates() {
    SecurityUpdates su;
    std::string problem;
    try {
      su = pending_security_updates(root);
    } catch (const DataError& e) {
      problem = e.what();
    }
    for (const auto& w : su.problems) problem += (problem.empty() ? "" : "; ") + w;
    bool applies = su.status_found && !su.indexes.empty() && problem.empty();
    std::string evidence;
    if (!applies)
      evidence = !problem.empty()          ? problem
                 : !su.status_found        ? "no dpkg status file"
                                           : "no security archive index under /var/lib/apt/lists";
    else if (su.pending.empty())
      evidence = std::to_string(su.installed) + " installed packages, none behind " + join_names(su.indexes);
    else
      for (const auto& u : su.pending) evidence += (evidence.empty() ? "" : ", ") + u.name + " " + u.installed + " < " + u.available;
    add("updates.security-pending", "No installed package has a pending security update", Severity::high, applies,
        su.pending.empty(), evidence);
    a.security_updates = std::move(su.pending);
  }

  void sysctls() {
    struct S {
      const char* path;
      const char* id;
      std::set<std::string> good;
      Severity sev;
    };
    const S list[] = {
        {"/proc/sys/kernel/randomize_va_space", "sysctl.aslr", {"2"}, Severity::high},
        {"/proc/sys/kernel/kptr_restrict", "sysctl.kptr-restrict", {"1", "2"}, Severity::low},
        {"/proc/sys/kernel/dmesg_restrict", "sysctl.dmesg-restrict", {"1"}, Severity::low},
        {"/proc/sys/kernel/yama/ptrace_scope", "sysctl.ptrace-scope", {"1", "2", "3"}, Severity::low},
        {"/proc/sys/fs/protected_hardlinks", "sysctl.protected-hardlinks", {"1"}, Severity::medium},
        {"/proc/sys/fs/protected_symlinks", "sysctl.protected-symlinks", {"1"}, Severity::medium},
        {"/proc/sys/fs/suid_dumpable", "sysctl.suid-dumpable", {"0"}, Severity::low},
        {"/proc/sys/net/ipv4/tcp_syncookies", "sysctl.tcp-syncookies", {"1"}, Severity::low},
        {"/proc/sys/net/ipv4/conf/all/accept_redirects", "sysctl.accept-redirects", {"0"}, Severity::low},
        {"/proc/sys/net/ipv4/conf/all/send_redirects", "sysctl.send-redirects", {"0"}, Severity::low},
        {"/proc/sys/net/ipv4/conf/all/accept_source_route", "sysctl.accept-source-route", {"0"}, Severity::low},
        {"/proc/sys/net/ipv4/conf/all/rp_filter", "sysctl.rp-filter", {"1", "2"}, Severity::low},
    };
    for (const auto& s : list) {
      std::string v(text::trim(slurp(p(s.path))));
      bool applies = !v.empty();
      add(s.id, std::string("Kernel setting ") + (s.path + 10), s.sev, applies, s.good.count(v) > 0,
          applies ? std::string(s.path + 10) + " = " + v : "");
    }
  }

  void users() {
    std::vector<std::string> root_ids;
    std::set<std::string> login_users;
    for (const auto& l : lines(slurp(p("/etc/passwd")))) {
      auto f = text::split(l, ':');
      if (f.size() < 7) continue;
      if (f[2] == "0" && f[0] != "root") root_ids.push_back(f[0]);
      if (f[6].find("nologin") == std::string::npos && f[6].find("false") == std::string::npos) login_users.insert(f[0]);
    }
    add("users.extra-uid0", "Only root has user id 0", Severity::high, exists(p("/etc/passwd")), root_ids.empty(),
        root_ids.empty() ? "" : "uid 0: " + join_names(root_ids));
    std::string shadow = slurp(p("/etc/shadow"));
    std::vector<std::string> empty;
    for (const auto& l : lines(shadow)) {
      auto f = text::split(l, ':');
      if (f.size() >= 2 && f[1].empty() && login_users.count(f[0])) empty.push_back(f[0]);
    }
    add("users.empty-password", "No login account without a password", Severity::critical, !shadow.empty(), empty.empty(),
        empty.empty() ? "" : "accounts: " + join_names(empty));
    std::vector<std::string> nopasswd;
    std::vector<std::string> files = {p("/etc/sudoers")};
    std::error_code ec;
    if (fs::is_directory(p("/etc/sudoers.d"), ec))
      for (const auto& e : fs::directory_iterator(p("/etc/sudoers.d"), ec)) files.push_back(e.path().string());
    bool any = false;
    for (const auto& f : files) {
      std::string s = slurp(f);
      if (!s.empty()) any = true;
      for (const auto& l : lines(s))
        if (!l.starts_with("#") && l.find("NOPASSWD") != std::string::npos) nopasswd.push_back(l);
    }
    add("users.sudo-nopasswd", "sudo asks for a password", Severity::low, any, nopasswd.empty(),
        nopasswd.empty() ? "" : nopasswd.front());
  }

  void ssh() {
    std::string cfg = slurp(p("/etc/ssh/sshd_config"));
    std::error_code ec;
    std::string extra;
    if (fs::is_directory(p("/etc/ssh/sshd_config.d"), ec))
      for (const auto& e : fs::directory_iterator(p("/etc/ssh/sshd_config.d"), ec))
        if (e.path().extension() == ".conf") extra += slurp(e.path().string()) + "\n";
    bool applies = !cfg.empty();
    // sshd takes the first value it reads; Include'd files come first in Debian's default.
    std::map<std::string, std::string> v;
    for (const auto& l : lines(extra + "\n" + cfg)) {
      if (l.empty() || l[0] == '#') continue;
      if (text::starts_with_icase(l, "Match ")) break;
      auto sp = l.find_first_of(" \t=");
      if (sp == std::string::npos) continue;
      std::string key = text::lower(l.substr(0, sp));
      std::string val = text::lower(text::trim(std::string_view(l).substr(sp + 1)));
      if (!val.empty() && val[0] == '=') val = text::lower(text::trim(std::string_view(val).substr(1)));
      v.emplace(key, val);
    }
    auto get = [&](const char* k, const char* def) { return v.count(k) ? v[k] : std::string(def); };
    std::string root_login = get("permitrootlogin", "prohibit-password");
    add("ssh.permit-root-login", "SSH does not allow root to log in with a password", Severity::high, applies,
        root_login != "yes", "PermitRootLogin " + root_login);
    std::string pw = get("passwordauthentication", "yes");
    add("ssh.password-authentication", "SSH password authentication disabled", Severity::medium, applies, pw == "no",
        "PasswordAuthentication " + pw);
    std::string empty = get("permitemptypasswords", "no");
    add("ssh.permit-empty-passwords", "SSH refuses empty passwords", Severity::critical, applies, empty == "no",
        "PermitEmptyPasswords " + empty);
    std::string x11 = get("x11forwarding", "no");
    add("ssh.x11-forwarding", "SSH X11 forwarding disabled", Severity::low, applies, x11 == "no", "X11Forwarding " + x11);
  }

  void firewall() {
    std::string ipt = slurp(p("/proc/net/ip_tables_names"));
    std::string nft = slurp(p("/etc/nftables.conf"));
    bool nft_rules = nft.find("hook input") != std::string::npos;
    bool ufw = slurp(p("/etc/ufw/ufw.conf")).find("ENABLED=yes") != std::string::npos;
    bool on = !text::trim(ipt).empty() || nft_rules || ufw;
    add("firewall.enabled", "A host firewall is configured", Severity::medium, true, on,
        ufw ? "ufw enabled" : nft_rules ? "/etc/nftables.conf has an input hook" : !text::trim(ipt).empty() ? "iptables tables loaded" : "no iptables tables, nftables input hook or ufw");
  }

  void sockets() {
    // inode -> process name, from /proc/<pid>/fd links.
    std::map<std::string, std::string> owner;
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(p("/proc"), ec)) {
      std::string pid = d.path().filename().string();
      if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
      std::string comm(text::trim(slurp(d.path().string() + "/comm", 64)));
      std::error_code ec2;
      for (const auto& fd : fs::directory_iterator(d.path() / "fd", ec2)) {
        std::error_code ec3;
        auto target = fs::read_symlink(fd.path(), ec3).string();
        if (target.starts_with("socket:[")) owner[target.substr(8, target.size() - 9)] = comm;
      }
    }
    static const std::map<int, const char*> risky = {{21, "ftp"}, {23, "telnet"}, {111, "rpcbind"}, {512, "rexec"},
                                                     {513, "rlogin"}, {2375, "docker"}, {3306, "mysql"}, {5432, "postgresql"},
                                                     {6379, "redis"}, {9200, "elasticsearch"}, {11211, "memcached"}, {27017, "mongodb"}};
    std::vector<std::string> listening, exposed;
    for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
      bool v6 = std::string(file).ends_with("6");
      auto ls = lines(slurp(p(file)));
      for (size_t i = 1; i < ls.size(); ++i) {
        std::istringstream in(ls[i]);
        std::string sl, local, remote, st, q, t, r, uid, to, inode;
        if (!(in >> sl >> local >> remote >> st >> q >> t >> r >> uid >> to >> inode) || st != "0A") continue;
        auto colon = local.rfind(':');
        int port = static_cast<int>(std::stol(local.substr(colon + 1), nullptr, 16));
        std::string addr = local.substr(0, colon);
        bool any = addr.find_first_not_of('0') == std::string::npos;
        bool loopback = v6 ? addr == "00000000000000000000000001000000" : addr.substr(6, 2) == "7F";
        std::string who = owner.count(inode) ? owner[inode] : "?";
        listening.push_back(std::string(any ? "*" : loopback ? "lo" : "ip") + ":" + std::to_string(port) + "(" + who + ")");
        if (!loopback && risky.count(port)) exposed.push_back(std::to_string(port) + "/" + risky.at(port) + "(" + who + ")");
      }
    }
    std::sort(listening.begin(), listening.end());
    listening.erase(std::unique(listening.begin(), listening.end()), listening.end());
    std::string all;
    for (const auto& l : listening) all += (all.empty() ? "" : " ") + l;
    add("network.listening", "Listening sockets", Severity::info, true, true, all);
    add("network.risky-services", "No database, remote-shell or cache service listens beyond loopback", Severity::high, true,
        exposed.empty(), join_names(exposed));
  }

  void encryption() {
    std::string root_dev, root_fs;
    for (const auto& l : lines(slurp(p("/proc/mounts")))) {
      auto f = text::split(l, ' ');
      if (f.size() >= 3 && f[1] == "/") {
        root_dev = f[0];
        root_fs = f[2];
      }
    }
    bool container = root_fs == "overlay" || exists(p("/.dockerenv")) || root_dev.empty();
    bool crypt = false;
    std::error_code ec;
    if (fs::is_directory(p("/sys/block"), ec))
      for (const auto& b : fs::directory_iterator(p("/sys/block"), ec))
        if (text::trim(slurp(b.path().string() + "/dm/uuid", 128)).starts_with("CRYPT-")) crypt = true;
    add("disk.encryption", "The root file system sits on an encrypted (dm-crypt) device", Severity::medium, !container, crypt,
        container ? "not visible from a container" : root_dev + " (" + root_fs + ")");
  }

  void audit_daemon() {
    bool running = false;
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(p("/proc"), ec)) {
      std::string pid = d.path().filename().string();
      if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
      if (text::trim(slurp(d.path().string() + "/comm", 64)) == "auditd") running = true;
    }
    add("audit.daemon", "The audit daemon (auditd) is running", Severity::low, true, running, running ? "auditd" : "not running");
  }
};

}  // namespace

int hardening_index(const std::vector<HostCheck>& checks) {
  int total = 0, passed = 0;
  for (const auto& c : checks) {
    if (!c.applies || c.severity == Severity::info) continue;
    int w = static_cast<int>(c.severity);
    total += w;
    if (c.passed) passed += w;
  }
  return total == 0 ? 100 : static_cast<int>((100.0 * passed) / total + 0.5);
}

HostAudit audit_host(const std::string& root) {
  auto t0 = std::chrono::steady_clock::now();
  Auditor au;
  au.root = root.empty() ? "/" : root;
  au.os();
  au.updates();
  au.security_updates();
  au.sysctls();
  au.users();
  au.ssh();
  au.firewall();
  au.sockets();
  au.encryption();
  au.audit_daemon();
  au.a.index = hardening_index(au.a.checks);
  au.a.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return au.a;
}

EndpointResult host_result(const HostAudit& audit) {
  EndpointResult r;
  r.target = "host:" + audit.hostname;
  r.host = audit.hostname;
  r.status = "ok";
  r.score = audit.index;
  r.grade = grade_for_score(audit.index);
  r.final_url = audit.os + " / " + audit.kernel;
  r.elapsed_ms = audit.elapsed_ms;
  for (const auto& c : audit.checks) {
    if (!c.applies || c.passed || c.severity == Severity::info) continue;
    if (c.id == "updates.security-pending" && !audit.security_updates.empty()) {
      // One issue per package, so each is opened and closed on its own.
      for (const auto& u : audit.security_updates) {
        std::string rule = "scan.host.updates.security-pending." + u.name + ":" + u.arch;
        r.findings.push_back({rule, c.severity, "Security update pending for " + u.name,
                              u.name + " " + u.installed + " installed, " + u.available + " in " + u.archive, controls_for(rule)});
      }
      continue;
    }
    Finding f{"scan.host." + c.id, c.severity, c.title, c.evidence, controls_for("scan.host." + c.id)};
    r.findings.push_back(f);
  }
  sort_findings(r.findings);
  return r;
}

}  // namespace opskit::scan
