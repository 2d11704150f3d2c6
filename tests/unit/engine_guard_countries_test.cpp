// guard's country rules in the threshold engine, with a fake lookup (no database): a ban-country
// source is banned at its first failure, an allow-country one never counted, an unknown one (or
// any, without a lookup) needs the threshold; the address allow-list still wins; explain() and
// the ban say the country; a reload's new allow countries drop the counts they cover.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/guard_decide.hpp"

namespace reach::engine {
namespace {

constexpr TimeNs kSec = kNsPerSec;

IpAddr ip(const char* s) { return *IpAddr::parse(s); }
IpPrefix pfx(const char* s) { return *parse_prefix(s); }

model::GuardMatch fail_from(const IpAddr& a) {
  model::GuardMatch m;
  m.rule = "sshd";
  m.form = "failed-password";
  m.addr = a;
  return m;
}

// 198.18.1.0/24 in CN, 198.18.2.0/24 in DE, 2001:db8:1::/48 in CN, 198.18.3.0/24 a garbled
// record; the rest unknown.
std::string fake_country(const IpAddr& a) {
  static const std::map<std::string, std::string> nets{
      {"198.18.1.0/24", "CN"}, {"198.18.2.0/24", "DE"}, {"2001:db8:1::/48", "CN"}, {"198.18.3.0/24", "\x1b["}};
  for (const auto& [net, cc] : nets)
    if (pfx(net.c_str()).contains(a)) return cc;
  return {};
}

GuardPolicy policy(bool lookup = true) {
  GuardPolicy p;  // 5 failures in 10m
  p.ban_countries = {"CN", "RU"};
  p.allow_countries = {"DE"};
  if (lookup) p.country_of = fake_country;
  p.allow.push_back({pfx("198.18.1.128/25"), "allow"});
  return p;
}

// How many failures of `addr`, one a second, until a ban (0: none within 20).
int failures_to_ban(GuardDecider& d, const char* addr) {
  for (int i = 1; i <= 20; ++i) {
    const auto r = d.record(fail_from(ip(addr)), i * kSec);
    if (r == GuardRecord::banned) return i;
    if (r != GuardRecord::counted && r != GuardRecord::country_allowed) return -static_cast<int>(r);
  }
  return 0;
}

TEST(GuardCountries, EachSourceGetsItsCountrysRule) {
  struct Case {
    const char* addr;
    bool lookup;
    int failures;  // to a ban; 0 = never
  } cases[] = {
      {"198.18.1.7", true, 1},      // CN: banned at the first failure
      {"2001:db8:1:2::9", true, 1},  // CN, IPv6 (its /64 is banned)
      {"198.18.2.7", true, 0},      // DE: never counted
      {"198.18.9.7", true, 5},      // not in the database: the threshold
      {"198.18.3.7", true, 5},      // a record that is no country code: unknown
      {"198.18.1.7", false, 5},     // no database: the threshold for everyone
      {"198.18.2.7", false, 5},
  };
  for (const auto& c : cases) {
    GuardDecider d(policy(c.lookup));
    EXPECT_EQ(failures_to_ban(d, c.addr), c.failures) << c.addr << (c.lookup ? "" : " without a database");
  }
}

TEST(GuardCountries, TheBanSaysTheCountryAndWhy) {
  GuardDecider d(policy());
  ASSERT_EQ(d.record(fail_from(ip("198.18.1.7")), kSec), GuardRecord::banned);
  auto bans = d.take_bans();
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].prefix.to_string(), "198.18.1.7/32");
  EXPECT_EQ(bans[0].origin, model::GuardBanOrigin::country);
  EXPECT_EQ(bans[0].country, "CN");
  EXPECT_EQ(bans[0].count, 1);
  EXPECT_EQ(bans[0].reason, "country CN is on countries.ban: banned at its first failure (sshd failed-password)");
  // A threshold ban of a located source carries its country too.
  GuardPolicy p = policy();
  p.country_of = [](const IpAddr&) { return std::string("FR"); };
  GuardDecider fr(p);
  for (int i = 1; i <= 5; ++i) (void)fr.record(fail_from(ip("198.18.9.9")), i * kSec);
  bans = fr.take_bans();
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].origin, model::GuardBanOrigin::threshold);
  EXPECT_EQ(bans[0].country, "FR");
}

TEST(GuardCountries, EscalationAndTheAddressAllowListStillApply) {
  GuardDecider d(policy());
  // 198.18.1.128/25 is on the allow-list inside CN: never counted, never banned.
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(d.record(fail_from(ip("198.18.1.200")), i * kSec), GuardRecord::allowed);
  EXPECT_TRUE(d.take_bans().empty());
  // A repeat offence of a ban country escalates as any ban does.
  ASSERT_EQ(d.record(fail_from(ip("198.18.1.7")), kSec), GuardRecord::banned);
  ASSERT_TRUE(d.unban(pfx("198.18.1.7/32"), 2 * kSec));
  ASSERT_EQ(d.record(fail_from(ip("198.18.1.7")), 3 * kSec), GuardRecord::banned);
  auto bans = d.take_bans();
  ASSERT_EQ(bans.size(), 2u);
  EXPECT_EQ(bans[1].offence, 2);
  EXPECT_EQ(bans[1].duration, 2 * bans[0].duration);
  // Three /64s of one CN /48 banned at their first failures: the /48 too.
  GuardDecider e(policy());
  for (const char* a : {"2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:3::1"}) (void)e.record(fail_from(ip(a)), kSec);
  bans = e.take_bans();
  ASSERT_EQ(bans.size(), 4u);
  EXPECT_EQ(bans[3].prefix.to_string(), "2001:db8:1::/48");
  EXPECT_EQ(bans[3].origin, model::GuardBanOrigin::escalated);
}

TEST(GuardCountries, ExplainSaysTheCountryAndItsRule) {
  GuardDecider d(policy());
  auto x = d.explain(ip("198.18.2.7"), kSec);
  EXPECT_EQ(x.verdict, model::GuardVerdict::country_allowed);
  EXPECT_EQ(x.country, "DE");
  EXPECT_EQ(x.country_rule, "allow");
  EXPECT_EQ(x.reason, "never counted or banned: its country DE is on countries.allow");
  x = d.explain(ip("198.18.1.7"), kSec);
  EXPECT_EQ(x.verdict, model::GuardVerdict::clean);
  EXPECT_EQ(x.country_rule, "ban");
  EXPECT_EQ(x.threshold, 1);
  EXPECT_EQ(x.reason, "its country CN is on countries.ban: its first failure bans 198.18.1.7/32 for 1h");
  x = d.explain(ip("198.18.1.200"), kSec);  // the address allow-list wins, the country is still said
  EXPECT_EQ(x.verdict, model::GuardVerdict::allowed);
  EXPECT_EQ(x.country, "CN");
  x = d.explain(ip("198.18.9.7"), kSec);
  EXPECT_EQ(x.country, "");
  EXPECT_EQ(x.country_rule, "");
  EXPECT_EQ(x.threshold, 5);
  GuardDecider none(policy(false));
  x = none.explain(ip("198.18.2.7"), kSec);
  EXPECT_EQ(x.verdict, model::GuardVerdict::clean);
  EXPECT_EQ(x.country, "");
}

TEST(GuardCountries, AReloadAddsAndDropsCountryRules) {
  GuardPolicy p = policy();
  p.allow_countries.clear();
  GuardDecider d(p);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(d.record(fail_from(ip("198.18.2.7")), i * kSec), GuardRecord::counted);
  EXPECT_EQ(d.stats().sources, 1u);
  d.set_policy(policy());  // DE now allowed: its count is dropped, its next failure not counted
  EXPECT_EQ(d.stats().sources, 0u);
  EXPECT_EQ(d.record(fail_from(ip("198.18.2.7")), 5 * kSec), GuardRecord::country_allowed);
  // The database gone at a reload: CN sources get the threshold again.
  d.set_policy(policy(false));
  EXPECT_EQ(failures_to_ban(d, "198.18.1.7"), 5);
}

}  // namespace
}  // namespace reach::engine
