// The capture repository on SQLite and PostgreSQL: idempotent upserts,
// device merging, history, indicators and the allow-list on stored alerts.
#include <catch2/catch.hpp>

#include "net/repository.hpp"
#include "pg_harness.hpp"
#include "store/store.hpp"

using namespace opskit::net;

TEST_CASE("repository: alerts, DNS, devices and history are idempotent - allow-list applies to stored alerts", "[net][repository]") {
  auto url = GENERATE(from_range(opskit::test::backend_urls()));
  INFO(url);
  auto db = opskit::store::Database::open(url);
  db->add_tenant("acme", "Acme");
  db->add_tenant("other", "Other");
  auto s = db->session("acme");
  Repository repo(*s);
  Alert a;
  a.first_ns = 1767603600LL * 1000000000;
  a.last_ns = a.first_ns + 5000000000LL;
  a.threat_type = "dns_tunnel";
  a.indicator = "exfil-tunnel.example";
  a.src = "192.168.10.23";
  a.score = 88;
  a.severity = severity_for(a.score);
  a.evidence = {{"domain", "exfil-tunnel.example"}, {"unique_names", 80}};
  DnsEvent e;
  e.ts_ns = a.first_ns;
  e.client.version = e.server.version = 4;
  e.client.bytes[0] = 10;
  e.server.bytes[0] = 10;
  e.server.bytes[3] = 1;
  e.query = "x.example";
  e.qtype = 1;
  e.rcode = 0;
  e.answers = {"192.0.2.1"};
  Device d;
  d.mac = "3c:22:fb:10:20:30";
  d.ips = {"192.168.10.23"};
  d.hostnames = {"laptop"};
  d.first_ns = a.first_ns;
  d.last_ns = a.last_ns;
  for (int round = 0; round < 2; ++round) {
    s->transaction([&] {
      auto w = repo.dns_writer("cap1", 0);
      w->add(e);
      w->add(e);
      w->flush();
      repo.store_alerts({a}, "cap1", "2026-01-05T10:00:00Z", 0);
      repo.store_devices({d});
      repo.store_host_history({{"192.168.10.23", 1000}}, "cap1", "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z");
    });
  }
  CHECK(std::get<int64_t>(*s->scalar("SELECT COUNT(*) FROM dns_events WHERE tenant_id = $1")) == 2);
  auto stored = repo.alerts(0, "open");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].score == 88);
  CHECK(stored[0].severity == "high");
  // A second sighting of the device merges addresses and names.
  Device d2 = d;
  d2.ips = {"192.168.10.99"};
  d2.hostnames = {"laptop.local"};
  d2.last_ns = a.last_ns + 3600000000000LL;
  repo.store_devices({d2});
  auto devs = repo.devices();
  REQUIRE(devs.size() == 1);
  CHECK(devs[0].ips.size() == 2);
  CHECK(devs[0].hostnames.size() == 2);
  CHECK(devs[0].last_ns == d2.last_ns);
  CHECK(repo.host_history("other-capture").hosts.at("192.168.10.23").runs == 1);
  CHECK(repo.host_history("cap1").hosts.empty());
  // Indicators and the allow-list.
  repo.add_indicator("domain", "bad.example", "test", "2026-01-05T10:00:00Z");
  repo.add_indicator("cidr", "203.0.113.0/24", "test", "2026-01-05T10:00:00Z");
  CHECK(repo.indicator_count() == 2);
  CHECK(repo.indicators().domains.match("www.bad.example"));
  repo.allow("*.exfil-tunnel.example", "ours", "2026-01-05T10:00:00Z");
  CHECK(repo.apply_allowlist(repo.allowlist()) == 1);
  CHECK(repo.alerts(0, "open").empty());
  CHECK(repo.alerts(0, "allowed").size() == 1);
  // Tenants never see each other's rows.
  auto o = db->session("other");
  Repository other(*o);
  CHECK(other.alerts(0, "").empty());
  CHECK(other.devices().empty());
}
