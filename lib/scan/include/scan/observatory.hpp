#pragma once
// The Mozilla (MDN) HTTP Observatory's tests and scoring, reproduced so that
// a grade here equals the Observatory's for the same responses:
//   - ten tests: content-security-policy, cookies, cross-origin-resource-
//     sharing, redirection, referrer-policy, strict-transport-security,
//     subresource-integrity, x-content-type-options, x-frame-options,
//     cross-origin-resource-policy; each yields one result code whose score
//     modifier comes from the published table (modifier_for);
//   - the score starts at 100, penalties (negative modifiers) are applied
//     first, bonuses (positive modifiers) only when the score without them is
//     90 or more; the minimum is 0;
//   - grade bands: 100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C,
//     45 C-, 40 D+, 30 D, 25 D-, below 25 F.
// Documented differences: the HSTS preload list is whatever --hsts-preload
// loads (empty by default), and CSP source sorting uses byte order where the
// Observatory uses an English collator.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/http.hpp"

namespace opskit::scan {

// Chromium's HSTS preload list (transport_security_state_static.json, with
// its // comments) or a plain list of host names (one per line, optional
// " include_subdomains").
class HstsPreload {
 public:
  void load_file(const std::string& path);  // throws DataError
  void add(const std::string& host, bool include_subdomains);
  // True when the host or a parent with include_subdomains is preloaded.
  bool preloaded(std::string_view host) const;
  size_t size() const { return hosts_.size(); }

 private:
  std::map<std::string, bool, std::less<>> hosts_;
};

struct ObservatoryInput {
  std::string host;                         // the site graded
  std::optional<Response> page;             // final response of the main request ("auto")
  std::optional<Response> https;            // the https response, when https answered
  std::optional<std::vector<Response>> http_route;  // http:// first request and its hops; nullopt = http unreachable
  bool http_route_verified = true;          // no invalid certificate on the way
  std::optional<Response> cors;             // response to the request that carried Origin
  std::string cors_origin;                  // the Origin sent
  const HstsPreload* preload = nullptr;
};

struct TestResult {
  std::string test;    // "content-security-policy"
  std::string result;  // "csp-implemented-with-no-unsafe"
  int modifier = 0;
  bool pass = false;
  std::string data;    // short evidence (the header value, ...)
};

struct ObservatoryResult {
  std::vector<TestResult> tests;
  int score = 0;
  std::string grade;
  int bonus = 0;  // bonus points available (applied only when the rest scored >= 90)
  const TestResult* find(std::string_view test) const;
};

ObservatoryResult grade_observatory(const ObservatoryInput& in);
// Published modifier of a result code; 0 for an unknown code.
int modifier_for(std::string_view result);
std::string grade_for_score(int score);
// Grade order for --min-grade: A+ > A > A- > ... > F; -1 for an unknown grade.
int grade_rank(std::string_view grade);

// Builds the input from a recorded chain (curl dump or HAR): the last
// response is the page; the chain is the http route when it starts at http.
ObservatoryInput input_from_chain(const std::vector<Response>& chain, const HstsPreload* preload);

}  // namespace opskit::scan
