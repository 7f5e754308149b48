#pragma once
// A tenant database filled through the store API (ledger, audit chain) with
// a few hostile strings, shared by the report tests.
#include <memory>
#include <string>

#include "store/store.hpp"

namespace report_test {

// Opens `url` (migrated), adds tenants "acme" and "globex", and fills acme's
// job runs and audit log; globex gets one run so tenant scoping is visible.
std::unique_ptr<opskit::store::Database> filled_database(const std::string& url);

// What the fixture wrote, for assertions.
inline constexpr int kAcmeRuns = 6;          // 3 tools (one hostile name)
inline constexpr int kAcmeFailed = 2;        // exit 3 and exit 4
inline constexpr int kAcmeFindings = 1;      // exit 1
inline constexpr int kAcmeAudit = 5;
inline constexpr const char* kHostile = "<script>alert('x')</script>";
inline constexpr const char* kFormula = "=HYPERLINK(\"http://evil\")";
inline constexpr const char* kNow = "2026-11-20T12:00:00Z";

}  // namespace report_test
