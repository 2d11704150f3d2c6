// A watch dnsbl round -> up / down / no verdict: a zone that does not answer is never a listing.
#include <gtest/gtest.h>

#include "engine/watch_dnsbl.hpp"

namespace reach::engine {
namespace {

using S = model::DnsblStatus;

model::DnsblOutcome zone(const char* name, S s, std::vector<std::string> codes = {}, std::string txt = {},
                         std::string reason = {}) {
  model::DnsblOutcome o;
  o.zone = name;
  o.status = s;
  o.codes = std::move(codes);
  o.txt = std::move(txt);
  o.reason = reason.empty() ? (s == S::error ? "no answer within 5s x 1 attempt" : "NXDOMAIN") : reason;
  return o;
}

TEST(WatchDnsbl, RoundToState) {
  struct Case {
    const char* what;
    std::vector<model::DnsblOutcome> zones;
    bool success, no_verdict;
    const char* reason;
  } cases[] = {
      {"listed nowhere", {zone("a.example", S::not_listed), zone("b.example", S::not_listed)}, true, false, ""},
      {"listed on one",
       {zone("a.example", S::not_listed), zone("b.example", S::listed, {"127.0.0.2"}, "spam source")},
       false, false, "listed on b.example (127.0.0.2 \"spam source\")"},
      {"listed on two, one silent",
       {zone("a.example", S::listed, {"127.0.0.2", "127.0.0.4"}), zone("b.example", S::error),
        zone("c.example", S::listed, {"127.0.0.3"})},
       false, false,
       "listed on a.example (127.0.0.2,127.0.0.4), c.example (127.0.0.3); no verdict from b.example: no answer within 5s x 1 attempt"},
      {"a silent zone is not a listing",
       {zone("a.example", S::not_listed), zone("b.example", S::error, {}, {}, "SERVFAIL from the resolver")}, true,
       false, "not listed; no verdict from b.example: SERVFAIL from the resolver"},
      {"no zone told",
       {zone("a.example", S::error), zone("b.example", S::error, {}, {}, "the list refused the query: 127.255.255.254")},
       false, true,
       "no zone told: a.example: no answer within 5s x 1 attempt; b.example: the list refused the query: 127.255.255.254"},
      {"no zones", {}, false, true, "no zone to ask"},
  };
  for (const auto& c : cases) {
    auto r = judge_dnsbl_round(c.zones);
    EXPECT_EQ(r.success, c.success) << c.what;
    EXPECT_EQ(r.no_verdict, c.no_verdict) << c.what;
    EXPECT_EQ(r.reason, c.reason) << c.what;
    EXPECT_FALSE(r.success && r.no_verdict) << c.what;
  }
}

}  // namespace
}  // namespace reach::engine
