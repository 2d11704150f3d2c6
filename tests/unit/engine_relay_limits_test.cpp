// engine::RelayLimits on a fake clock: per-prefix connection and rate limits aggregated by
// prefix, global caps that refuse only new connections, bans, the allow-list, bounded state.
#include "engine/relay_limits.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reach::engine {
namespace {

IpAddr A(const char* s) { return *IpAddr::parse(s); }

enum class Op { admit, release };
struct Step {
  TimeNs at_ms;
  Op op;
  const char* addr;
  Refusal expect;       // for admit: none = admitted
  const char* prefix;   // for admit: the prefix reported ("" = not checked)
};

struct Case {
  const char* name;
  RelayLimitsConfig config;
  std::vector<Step> steps;
};

RelayLimitsConfig base() {
  RelayLimitsConfig c;
  c.v4 = {32, 2, 0, 0};
  c.v6 = {64, 2, 0, 0};
  c.v6_wide = {48, 3, 0, 0};
  c.ban_after = 0;
  return c;
}

RelayLimitsConfig with(RelayLimitsConfig c, auto f) {
  f(c);
  return c;
}

constexpr Refusal ok = Refusal::none;
constexpr Op adm = Op::admit;
constexpr Op rel = Op::release;

std::vector<Case> cases() {
  return {
      {"ipv4 per-address concurrent cap",
       base(),
       {{0, adm, "198.18.0.1", ok, "198.18.0.1/32"},
        {0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", Refusal::per_prefix_conns, "198.18.0.1/32"},
        {0, adm, "198.18.0.2", ok, ""},
        {1, rel, "198.18.0.1", ok, ""},
        {2, adm, "198.18.0.1", ok, ""}}},
      {"ipv4 /24 option aggregates neighbours",
       with(base(), [](auto& c) { c.v4.len = 24; }),
       {{0, adm, "198.18.0.1", ok, "198.18.0.0/24"},
        {0, adm, "198.18.0.200", ok, ""},
        {0, adm, "198.18.0.7", Refusal::per_prefix_conns, "198.18.0.0/24"},
        {0, adm, "198.18.1.7", ok, ""}}},
      {"ipv4-mapped peers count as ipv4",
       base(),
       {{0, adm, "::ffff:198.18.0.1", ok, "198.18.0.1/32"},
        {0, adm, "198.18.0.1", ok, ""},
        {0, adm, "::ffff:198.18.0.1", Refusal::per_prefix_conns, "198.18.0.1/32"}}},
      {"ipv6 addresses of one /64 share its limit",
       base(),
       {{0, adm, "2001:db8:1:1::1", ok, "2001:db8:1:1::/64"},
        {0, adm, "2001:db8:1:1:ffff::2", ok, ""},
        {0, adm, "2001:db8:1:1::3", Refusal::per_prefix_conns, "2001:db8:1:1::/64"},
        {0, adm, "2001:db8:1:2::1", ok, "2001:db8:1:2::/64"}}},
      {"ipv6 /64s of one /48 share the /48 limit",
       base(),
       {{0, adm, "2001:db8:1:1::1", ok, ""},
        {0, adm, "2001:db8:1:2::1", ok, ""},
        {0, adm, "2001:db8:1:3::1", ok, ""},
        {0, adm, "2001:db8:1:4::1", Refusal::per_prefix_conns, "2001:db8:1::/48"},
        {0, adm, "2001:db8:2:1::1", ok, ""},
        {5, rel, "2001:db8:1:2::1", ok, ""},
        {6, adm, "2001:db8:1:4::1", ok, ""}}},
      {"second ipv6 level off",
       with(base(), [](auto& c) { c.v6_wide.len = 0; }),
       {{0, adm, "2001:db8:1:1::1", ok, ""},
        {0, adm, "2001:db8:1:2::1", ok, ""},
        {0, adm, "2001:db8:1:3::1", ok, ""},
        {0, adm, "2001:db8:1:4::1", ok, ""}}},
      {"token bucket: burst then rate",
       with(base(), [](auto& c) { c.v4 = {32, 0, 10, 3}; }),
       {{0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", Refusal::per_prefix_rate, "198.18.0.1/32"},
        {50, adm, "198.18.0.1", Refusal::per_prefix_rate, ""},
        {100, adm, "198.18.0.1", ok, ""},
        {100, adm, "198.18.0.1", Refusal::per_prefix_rate, ""},
        {10000, adm, "198.18.0.1", ok, ""},
        {10000, adm, "198.18.0.1", ok, ""},
        {10000, adm, "198.18.0.1", ok, ""},
        {10000, adm, "198.18.0.1", Refusal::per_prefix_rate, ""}}},
      {"global cap refuses new, established stay until released",
       with(base(), [](auto& c) { c.max_conns = 2; }),
       {{0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.2", ok, ""},
        {0, adm, "198.18.0.3", Refusal::global_conns, "198.18.0.3/32"},
        {1, rel, "198.18.0.2", ok, ""},
        {2, adm, "198.18.0.3", ok, ""}}},
      {"a prefix over its own limit is named before the global cap",
       with(base(), [](auto& c) { c.max_conns = 2; }),
       {{0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", ok, ""},
        {0, adm, "198.18.0.1", Refusal::per_prefix_conns, ""}}},
      {"allow-list is never limited",
       with(base(), [](auto& c) { c.allow = {*parse_prefix("198.18.9.0/24")}; }),
       {{0, adm, "198.18.9.1", ok, ""},
        {0, adm, "198.18.9.1", ok, ""},
        {0, adm, "198.18.9.1", ok, ""},
        {0, adm, "198.18.9.1", ok, ""}}},
  };
}

TEST(RelayLimits, Table) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    RelayLimits l(c.config);
    int i = 0;
    for (const auto& s : c.steps) {
      SCOPED_TRACE("step " + std::to_string(i++));
      const TimeNs now = s.at_ms * kNsPerMs;
      if (s.op == Op::release) {
        l.released(A(s.addr), now);
        continue;
      }
      const Admit a = l.admit(A(s.addr), now);
      EXPECT_EQ(a.ok, s.expect == Refusal::none);
      EXPECT_EQ(refusal_name(a.reason), refusal_name(s.expect));
      if (*s.prefix) {
        EXPECT_EQ(a.prefix.to_string(), s.prefix);
      }
    }
  }
}

TEST(RelayLimits, MemoryCapRefusesNewOnly) {
  RelayLimitsConfig c = base();
  c.max_memory = 1000;
  RelayLimits l(c);
  ASSERT_TRUE(l.admit(A("198.18.0.1"), 0).ok);
  l.set_memory_in_use(1000);
  EXPECT_TRUE(l.saturated());
  const Admit a = l.admit(A("198.18.0.2"), 0);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.reason, Refusal::memory);
  EXPECT_EQ(l.open_conns(), 1u);
  l.set_memory_in_use(10);
  EXPECT_TRUE(l.admit(A("198.18.0.2"), 1).ok);
}

TEST(RelayLimits, BanAfterRepeatedRefusalsThenExpires) {
  RelayLimitsConfig c = base();
  c.v6 = {64, 0, 1, 1};
  c.ban_after = 5;
  c.ban_window = 10 * kNsPerSec;
  c.ban_time = 60 * kNsPerSec;
  RelayLimits l(c);
  ASSERT_TRUE(l.admit(A("2001:db8:1:1::1"), 0).ok);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(l.admit(A("2001:db8:1:1::2"), 0).reason, Refusal::per_prefix_rate);
  EXPECT_TRUE(l.take_new_bans().empty());
  EXPECT_EQ(l.admit(A("2001:db8:1:1::3"), 0).reason, Refusal::per_prefix_rate);
  auto bans = l.take_new_bans();
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].to_string(), "2001:db8:1:1::/64");
  EXPECT_TRUE(l.take_new_bans().empty());  // once per ban
  // Banned even when the bucket has refilled, other /64s untouched.
  EXPECT_EQ(l.admit(A("2001:db8:1:1::9"), 5 * kNsPerSec).reason, Refusal::banned);
  EXPECT_TRUE(l.admit(A("2001:db8:1:2::9"), 5 * kNsPerSec).ok);
  EXPECT_TRUE(l.admit(A("2001:db8:1:1::9"), 61 * kNsPerSec).ok);
  EXPECT_TRUE(l.take_new_bans().empty());
}

TEST(RelayLimits, StrikesOutsideTheWindowDoNotAddUp) {
  RelayLimitsConfig c = base();
  c.v4 = {32, 0, 1, 1};
  c.ban_after = 3;
  c.ban_window = 1 * kNsPerSec;
  RelayLimits l(c);
  TimeNs t = 0;
  for (int i = 0; i < 10; ++i, t += 2 * kNsPerSec) {
    l.admit(A("198.18.0.1"), t);                          // takes the refilled token
    EXPECT_FALSE(l.admit(A("198.18.0.1"), t).ok);         // one strike per window
    EXPECT_FALSE(l.admit(A("198.18.0.1"), t + 1).ok);     // two
  }
  EXPECT_TRUE(l.take_new_bans().empty());
}

TEST(RelayLimits, WideFloodBansTheSlash48) {
  RelayLimitsConfig c = base();
  c.v6 = {64, 0, 100, 100};
  c.v6_wide = {48, 0, 10, 10};
  c.ban_after = 20;
  RelayLimits l(c);
  char buf[64];
  for (int i = 0; i < 100; ++i) {
    std::snprintf(buf, sizeof buf, "2001:db8:7:%x::1", i);
    l.admit(A(buf), 0);
  }
  auto bans = l.take_new_bans();
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].to_string(), "2001:db8:7::/48");
}

TEST(RelayLimits, RandomAddressesOfOneSlash64KeepTwoEntries) {
  RelayLimitsConfig c = base();
  c.v6 = {64, 0, 5, 5};
  c.v6_wide = {48, 0, 0, 0};
  RelayLimits l(c);
  char buf[64];
  int admitted = 0;
  for (unsigned i = 0; i < 100000; ++i) {
    std::snprintf(buf, sizeof buf, "2001:db8:1:1:%x:%x:%x:%x", i * 2654435761u & 0xffff, i & 0xffff, i >> 16, i * 7 & 0xffff);
    admitted += l.admit(A(buf), 0).ok;
  }
  EXPECT_EQ(admitted, 5);  // the /64's burst
  EXPECT_EQ(l.tracked_prefixes(), 2u);
}

TEST(RelayLimits, StateStaysBoundedAndFreshPrefixesGetIn) {
  RelayLimitsConfig c = base();
  c.max_prefixes = 1000;
  RelayLimits l(c);
  // A prefix with an open connection survives every sweep.
  ASSERT_TRUE(l.admit(A("198.18.5.5"), 0).ok);
  char buf[64];
  std::size_t most = 0;
  int refused_memory = 0;
  for (unsigned i = 0; i < 50000; ++i) {
    std::snprintf(buf, sizeof buf, "2001:db8:%x:%x::1", i >> 8, i & 0xff);
    const Admit a = l.admit(A(buf), static_cast<TimeNs>(i) * kNsPerUs);
    if (a.ok) l.released(A(buf), static_cast<TimeNs>(i) * kNsPerUs);
    refused_memory += a.reason == Refusal::memory;
    most = std::max(most, l.tracked_prefixes());
  }
  EXPECT_LE(most, 1000u);
  EXPECT_EQ(refused_memory, 0);  // the full table is swept of idle prefixes at once
  EXPECT_TRUE(l.admit(A("2001:db8:ffff:1::1"), 60 * kNsPerSec).ok);
  // The busy prefix kept its count: its second connection is still refused at its cap of 2.
  EXPECT_TRUE(l.admit(A("198.18.5.5"), 60 * kNsPerSec).ok);
  EXPECT_EQ(l.admit(A("198.18.5.5"), 60 * kNsPerSec).reason, Refusal::per_prefix_conns);
}

TEST(RelayLimits, TableFullOfBusyPrefixesRefusesWithMemory) {
  RelayLimitsConfig c = base();
  c.v6_wide.len = 0;
  c.max_prefixes = 10;
  RelayLimits l(c);
  char buf[64];
  for (int i = 0; i < 10; ++i) {
    std::snprintf(buf, sizeof buf, "198.18.0.%d", i + 1);
    ASSERT_TRUE(l.admit(A(buf), 0).ok);
  }
  EXPECT_EQ(l.admit(A("198.18.1.1"), 0).reason, Refusal::memory);
  EXPECT_EQ(l.tracked_prefixes(), 10u);
  l.released(A("198.18.0.1"), 1);
  EXPECT_EQ(l.admit(A("198.18.1.1"), 1).reason, Refusal::memory);  // sweep waits after a poor one
  EXPECT_TRUE(l.admit(A("198.18.1.1"), 200 * kNsPerMs).ok);
}

// A full table is swept while an IPv6 admission holds its /64 entry and asks for its /48: the sweep
// once erased that /64 (idle, just created) and the admission wrote to freed memory (found by
// fuzz_relay_limits under ASan).
TEST(RelayLimits, FullTableSweepKeepsTheOtherLevelOfTheAdmission) {
  RelayLimitsConfig c = base();
  c.max_prefixes = 3;
  RelayLimits l(c);
  ASSERT_TRUE(l.admit(A("2001:db8:1:1::1"), 0).ok);  // its /64 and /48 stay busy
  EXPECT_EQ(l.tracked_prefixes(), 2u);
  const Admit a = l.admit(A("2001:db8:2:1::1"), 0);  // a new /64 fills the table, its /48 finds it full
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.reason, Refusal::memory);
  EXPECT_EQ(l.tracked_prefixes(), 3u) << "the /64 of the admission under way was swept away";
  l.released(A("2001:db8:1:1::1"), 1);
  EXPECT_TRUE(l.admit(A("2001:db8:2:1::1"), 200 * kNsPerMs).ok);
}

TEST(RelayLimits, EvictDropsIdleOnly) {
  RelayLimitsConfig c = base();
  c.idle_evict = 10 * kNsPerSec;
  RelayLimits l(c);
  ASSERT_TRUE(l.admit(A("198.18.0.1"), 0).ok);
  ASSERT_TRUE(l.admit(A("198.18.0.2"), 0).ok);
  l.released(A("198.18.0.2"), 0);
  l.evict(5 * kNsPerSec);
  EXPECT_EQ(l.tracked_prefixes(), 2u);
  l.evict(11 * kNsPerSec);
  EXPECT_EQ(l.tracked_prefixes(), 1u);  // the one with a connection stays
}

TEST(RelayLimits, TopHitsOrderedByCount) {
  RelayLimits l(base());
  for (int i = 0; i < 5; ++i) l.admit(A("198.18.0.1"), 0);
  for (int i = 0; i < 4; ++i) l.admit(A("198.18.0.2"), 0);
  auto hits = l.top_hits(1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].prefix.to_string(), "198.18.0.1/32");
  EXPECT_EQ(hits[0].count, 3u);
  EXPECT_EQ(hits[0].reason, Refusal::per_prefix_conns);
}

// Behind a trusted balancer (--accept-proxy): before the header the balancer's address is
// capped for concurrency only; the header's client then meets the per-prefix limits.
TEST(RelayLimits, UpstreamCountsTheClientAfterTheHeader) {
  RelayLimitsConfig c = base();  // 2 per /32 and per /64, 3 per /48
  c.ban_after = 1;               // any per-prefix refusal would ban
  RelayLimits l(c);
  const IpAddr lb = A("198.18.9.1");
  // Two pending headers: the balancer's cap of 2 is reached, a third is refused without a ban.
  ASSERT_TRUE(l.admit_upstream(lb, 0).ok);
  ASSERT_TRUE(l.admit_upstream(lb, 0).ok);
  const Admit third = l.admit_upstream(lb, 0);
  EXPECT_FALSE(third.ok);
  EXPECT_EQ(third.reason, Refusal::per_prefix_conns);
  EXPECT_TRUE(l.take_new_bans().empty());
  // Both headers name client X: handed over, the balancer's pending count is free again.
  EXPECT_TRUE(l.handover(lb, A("198.18.5.1"), 0).ok);
  EXPECT_TRUE(l.handover(lb, A("198.18.5.1"), 0).ok);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(l.admit_upstream(lb, 0).ok) << i;
  // A third connection of X is over X's limit (and struck); Y behind the same balancer is not.
  const Admit x = l.handover(lb, A("198.18.5.1"), 0);
  EXPECT_FALSE(x.ok);
  EXPECT_EQ(x.reason, Refusal::per_prefix_conns);
  EXPECT_EQ(x.prefix.to_string(), "198.18.5.1/32");
  EXPECT_TRUE(l.handover(lb, A("198.18.6.1"), 0).ok);
  ASSERT_EQ(l.take_new_bans().size(), 1u);  // X, never the balancer
  // The refused one is still the balancer's: released under its address it frees its slot.
  l.released(lb, 0);
  EXPECT_TRUE(l.admit_upstream(lb, 0).ok);
  EXPECT_EQ(l.open_conns(), 4u);  // X, X, Y and the new pending one
  // A closed client connection frees the client's slot.
  l.released(A("198.18.6.1"), 0);
  EXPECT_TRUE(l.handover(lb, A("198.18.6.1"), 0).ok);
}

TEST(RelayLimits, UpstreamMeetsTheGlobalCapAndIPv6Levels) {
  RelayLimitsConfig c = base();
  c.max_conns = 3;
  RelayLimits l(c);
  const IpAddr lb = A("2001:db8:9::1");
  ASSERT_TRUE(l.admit_upstream(lb, 0).ok);
  l.released(lb, 0);  // a header that never came: both IPv6 levels go back to zero
  ASSERT_TRUE(l.admit_upstream(lb, 0).ok);
  ASSERT_TRUE(l.admit_upstream(lb, 0).ok);
  EXPECT_FALSE(l.admit_upstream(lb, 0).ok);  // the balancer's /64 holds 2
  ASSERT_TRUE(l.admit_upstream(A("198.18.9.1"), 0).ok);
  EXPECT_EQ(l.admit_upstream(A("198.18.9.2"), 0).reason, Refusal::global_conns);
}

// A reload's limits apply at once, with the open connections still counted and bans kept.
TEST(RelayLimits, ReconfigureKeepsOpenConnectionsAndBans) {
  RelayLimitsConfig c = base();
  c.ban_after = 1;
  RelayLimits l(c);
  ASSERT_TRUE(l.admit(A("198.18.0.1"), 0).ok);
  ASSERT_TRUE(l.admit(A("198.18.0.2"), 0).ok);
  ASSERT_TRUE(l.admit(A("198.18.0.2"), 0).ok);
  ASSERT_FALSE(l.admit(A("198.18.0.2"), 0).ok);  // banned now
  // Now /24 with 4 per prefix: the three open connections count at the new level.
  RelayLimitsConfig next = c;
  next.v4 = {24, 4, 0, 0};
  next.ban_after = 0;
  const std::vector<IpAddr> open = {A("198.18.0.1"), A("198.18.0.2"), A("198.18.0.2")};
  l.reconfigure(next, open, 1);
  EXPECT_EQ(l.open_conns(), 3u);
  EXPECT_EQ(l.config().v4.len, 24);
  EXPECT_TRUE(l.admit(A("198.18.0.3"), 1).ok);
  EXPECT_EQ(l.admit(A("198.18.0.4"), 1).reason, Refusal::per_prefix_conns);
  // Released under the new lengths: one slot of the /24 back.
  l.released(A("198.18.0.1"), 2);
  EXPECT_TRUE(l.admit(A("198.18.0.4"), 2).ok);
  // The old /32 ban is kept in the table (evicted when it expires), and a lower cap applies.
  RelayLimitsConfig tight = next;
  tight.v4 = {32, 1, 0, 0};
  l.reconfigure(tight, std::vector<IpAddr>{A("198.18.0.3")}, 3);
  EXPECT_EQ(l.admit(A("198.18.0.2"), 3).reason, Refusal::banned);
  EXPECT_EQ(l.admit(A("198.18.0.3"), 3).reason, Refusal::per_prefix_conns);
  EXPECT_TRUE(l.admit(A("198.18.0.5"), 3).ok);
}

}  // namespace
}  // namespace reach::engine
