// tools::relay::Defence with a fake ban sink: bans leave in one batch per tick, a failing sink
// keeps them for the next tick, counters and metric families by reason and prefix.
#include "tools/relay/defence.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reach::tools::relay {
namespace {

IpAddr A(const char* s) { return *IpAddr::parse(s); }

DefenceConfig flood_config() {
  DefenceConfig c;
  c.limits.v6 = {64, 0, 10, 10};
  c.limits.v4 = {32, 0, 10, 10};
  c.limits.ban_after = 5;
  c.limits.ban_time = 30 * kNsPerSec;
  return c;
}

struct FakeSink {
  std::vector<std::vector<io::Ban>> batches;
  bool fail = false;
  BanSink sink() {
    return [this](std::span<const io::Ban> bans) -> Result<io::BatchOutcome> {
      if (fail) return reach::fail("nftables add elements", "inet reach", 1, "Operation not permitted");
      batches.emplace_back(bans.begin(), bans.end());
      return io::BatchOutcome{bans.size(), 0, 0};
    };
  }
};

void flood(Defence& d, const char* fmt, int prefixes, int per_prefix, TimeNs now) {
  char buf[64];
  for (int p = 0; p < prefixes; ++p)
    for (int i = 0; i < per_prefix; ++i) {
      std::snprintf(buf, sizeof buf, fmt, p, i + 1);
      d.admit(A(buf), now);
    }
}

TEST(RelayDefence, OverLimitPrefixesLeaveInOneBatch) {
  FakeSink fake;
  auto d = Defence::create(flood_config(), fake.sink());
  ASSERT_NE(d, nullptr);
  flood(*d, "2001:db8:%x:1::%x", 3, 40, 0);      // 3 flooding /64s (of 3 /48s)
  EXPECT_TRUE(fake.batches.empty());              // nothing before the tick
  ASSERT_TRUE(d->tick(kNsPerMs));
  ASSERT_EQ(fake.batches.size(), 1u);
  ASSERT_EQ(fake.batches[0].size(), 3u);
  EXPECT_EQ(fake.batches[0][0].prefix.to_string(), "2001:db8:0:1::/64");
  EXPECT_EQ(fake.batches[0][0].timeout, 30 * kNsPerSec);
  ASSERT_TRUE(d->tick(2 * kNsPerMs));
  EXPECT_EQ(fake.batches.size(), 1u);  // no empty batches
  const auto& c = d->counters();
  EXPECT_EQ(c.admitted, 30u);  // the burst of 10 of each /64
  EXPECT_EQ(c.bans_pushed, 3u);
  EXPECT_EQ(c.ban_batches, 1u);
  EXPECT_EQ(c.refused[static_cast<int>(Refusal::per_prefix_rate)], 15u);  // until the ban
  EXPECT_EQ(c.refused[static_cast<int>(Refusal::banned)], 75u);
  auto ev = d->take_events();
  ASSERT_EQ(ev.size(), 19u);  // the start, 15 clients refused (5 per /64, each its own address), 3 bans
  EXPECT_NE(ev[0].find("\"type\":\"relay_defence\""), std::string::npos);
  EXPECT_NE(ev[0].find("black-hole: custom sink"), std::string::npos);
  for (std::size_t i = 1; i <= 15; ++i) EXPECT_NE(ev[i].find("\"type\":\"relay_limit\""), std::string::npos) << ev[i];
  EXPECT_NE(ev[16].find("\"type\":\"relay_ban\""), std::string::npos);
  EXPECT_TRUE(d->take_events().empty());
}

TEST(RelayDefence, FailedBatchIsRetried) {
  FakeSink fake;
  fake.fail = true;
  auto d = Defence::create(flood_config(), fake.sink());
  ASSERT_NE(d, nullptr);
  flood(*d, "198.18.%d.7", 2, 20, 0);
  auto r = d->tick(kNsPerMs);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("nftables add elements"), std::string::npos);
  EXPECT_EQ(d->pending_bans(), 2u);
  fake.fail = false;
  ASSERT_TRUE(d->tick(2 * kNsPerMs));
  ASSERT_EQ(fake.batches.size(), 1u);
  EXPECT_EQ(fake.batches[0].size(), 2u);
  EXPECT_EQ(d->pending_bans(), 0u);
  EXPECT_EQ(d->counters().ban_errors, 1u);
}

TEST(RelayDefence, WithoutBlackholeBansStayLocal) {
  DefenceConfig c = flood_config();
  c.limits.blackhole = false;
  auto d = Defence::create(c);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->blackhole_ready());
  EXPECT_NE(d->blackhole_status().find("black-hole off"), std::string::npos);
  flood(*d, "198.18.%d.7", 1, 20, 0);
  ASSERT_TRUE(d->tick(kNsPerMs));
  EXPECT_EQ(d->admit(A("198.18.0.7"), 2 * kNsPerSec).reason, Refusal::banned);
  auto ev = d->take_events();
  ASSERT_EQ(ev.size(), 3u);  // the start, the client's limit hits (one event), the ban
  EXPECT_NE(ev[1].find(R"("client":"198.18.0.7","count":5,)"), std::string::npos) << ev[1];
  EXPECT_NE(ev[1].find(R"("reason":"per_prefix_rate","type":"relay_limit")"), std::string::npos) << ev[1];
  EXPECT_NE(ev[2].find("\"type\":\"relay_ban\""), std::string::npos);
}

// One relay_limit event per refused client and tick, for 500 clients at most; the global caps
// name no client.
TEST(RelayDefence, LimitEventsPerClientAreBounded) {
  DefenceConfig c = flood_config();
  c.limits.ban_after = 0;
  c.limits.max_conns = 100000;
  FakeSink fake;
  auto d = Defence::create(c, fake.sink());
  ASSERT_NE(d, nullptr);
  (void)d->take_events();
  char buf[64];
  for (int n = 0; n < 600; ++n)
    for (int i = 0; i < 12; ++i) {  // burst 10: two refusals each
      std::snprintf(buf, sizeof buf, "198.18.%d.%d", n / 200, n % 200 + 1);
      d->admit(A(buf), 0);
    }
  ASSERT_TRUE(d->tick(kNsPerMs));
  auto ev = d->take_events();
  EXPECT_EQ(ev.size(), 500u);
  EXPECT_EQ(d->events_dropped(), 200u);  // the 100 clients beyond, two refusals each
  for (const auto& e : ev) EXPECT_NE(e.find(R"("count":2,)"), std::string::npos) << e;
  ASSERT_TRUE(d->tick(2 * kNsPerMs));
  EXPECT_TRUE(d->take_events().empty());  // a tick without refusals says nothing

  DefenceConfig g = flood_config();
  g.limits.max_conns = 1;
  auto d2 = Defence::create(g, fake.sink());
  (void)d2->take_events();
  EXPECT_TRUE(d2->admit(A("198.18.0.1"), 0).ok);
  EXPECT_EQ(d2->admit(A("198.18.0.2"), 0).reason, Refusal::global_conns);
  ASSERT_TRUE(d2->tick(kNsPerMs));
  EXPECT_TRUE(d2->take_events().empty());
}

TEST(RelayDefence, MetricFamiliesByReasonAndPrefix) {
  FakeSink fake;
  auto d = Defence::create(flood_config(), fake.sink());
  ASSERT_NE(d, nullptr);
  flood(*d, "198.18.%d.7", 1, 12, 0);
  d->head_timed_out(A("198.18.0.1"));
  auto fams = d->metric_families();
  ASSERT_TRUE(format::prom::check(fams));
  auto body = format::prom::render(fams, format::prom::Format::text);
  ASSERT_TRUE(body);
  EXPECT_NE(body->find("reach_relay_limit_hits_total{prefix=\"198.18.0.7/32\"} 2\n"), std::string::npos) << *body;
  EXPECT_EQ(d->counters().head_timeouts, 1u);
  EXPECT_EQ(d->counters().refused[static_cast<int>(Refusal::per_prefix_rate)], 2u);
  EXPECT_NE(body->find("reach_relay_blackhole_ready 1\n"), std::string::npos);
}

TEST(RelayDefence, GateSaysTheReasonWord) {
  FakeSink fake;
  DefenceConfig c = flood_config();
  auto g = defence_gate(c.limits, 3 * kNsPerSec, fake.sink());
  EXPECT_EQ(g->head_deadline(10), 10 + 3 * kNsPerSec);
  EXPECT_EQ(g->tick_interval(), 100 * kNsPerMs);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(g->admit(A("198.18.0.7"), 0, false).ok);
  const auto v = g->admit(A("198.18.0.7"), 0, false);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "per_prefix_rate");
  g->memory_in_use(c.limits.max_memory);  // the relay's estimate reaches the memory cap
  EXPECT_EQ(g->admit(A("198.18.0.8"), 0, false).reason, "memory");
  g->memory_in_use(0);
  EXPECT_TRUE(g->admit(A("198.18.0.8"), 0, false).ok);
  EXPECT_NE(g->metrics_text().find("reach_relay_limit_hits_total{prefix=\"198.18.0.7/32\"} 1\n"), std::string::npos);
}

// At the global cap a relay holding head-phase connections is told to evict (the refusal is
// not counted, since it asks again); a per-prefix refusal never evicts anything.
TEST(RelayDefence, GlobalCapOffersAnEvictionPerPrefixLimitsDoNot) {
  DefenceConfig c = flood_config();
  c.limits.max_conns = 2;
  c.limits.v4 = {32, 1, 0, 0};  // one connection per /32, no rate
  FakeSink fake;
  auto d = Defence::create(c, fake.sink());
  ASSERT_NE(d, nullptr);
  (void)d->take_events();
  EXPECT_TRUE(d->admit(A("198.18.0.1"), 0).ok);
  EXPECT_TRUE(d->admit(A("198.18.0.2"), 0).ok);
  const Admit full = d->admit(A("198.18.0.3"), 0, true);
  EXPECT_FALSE(full.ok);
  EXPECT_EQ(full.reason, Refusal::global_conns);
  EXPECT_TRUE(d->evict_for(full));
  EXPECT_EQ(d->counters().refused[static_cast<int>(Refusal::global_conns)], 0u);  // not yet
  // The relay evicts its oldest head-phase connection and asks again.
  d->evicted(A("198.18.0.1"), Refusal::global_conns, 0);
  d->released(A("198.18.0.1"), 0);
  EXPECT_TRUE(d->admit(A("198.18.0.3"), 0).ok);
  // Without anything to evict, the cap refuses and counts as before.
  EXPECT_EQ(d->admit(A("198.18.0.4"), 0).reason, Refusal::global_conns);
  EXPECT_EQ(d->counters().refused[static_cast<int>(Refusal::global_conns)], 1u);
  // A second connection of a /32 at its own limit: never an eviction, whatever the relay holds.
  d->released(A("198.18.0.2"), 0);
  const Admit own = d->admit(A("198.18.0.3"), 0, true);
  EXPECT_EQ(own.reason, Refusal::per_prefix_conns);
  EXPECT_FALSE(d->evict_for(own));
  EXPECT_EQ(d->counters().refused[static_cast<int>(Refusal::per_prefix_conns)], 1u);
  // The memory cap evicts too; its reason says which cap it was.
  EXPECT_TRUE(d->admit(A("198.18.0.5"), 0).ok);
  d->released(A("198.18.0.5"), 0);
  d->set_memory_in_use(c.limits.max_memory);
  const Admit mem = d->admit(A("198.18.0.6"), 0, true);
  EXPECT_EQ(mem.reason, Refusal::memory);
  EXPECT_TRUE(d->evict_for(mem));
  EXPECT_EQ(d->counters().refused[static_cast<int>(Refusal::memory)], 0u);
}

// Evictions by reason and prefix: /metrics totals and top prefixes, one relay_evict event per
// prefix and tick.
TEST(RelayDefence, EvictionsCountedByReasonAndPrefix) {
  FakeSink fake;
  auto d = Defence::create(flood_config(), fake.sink());
  ASSERT_NE(d, nullptr);
  (void)d->take_events();
  for (int i = 0; i < 3; ++i) d->evicted(A("2001:db8:1:2::7"), Refusal::global_conns, 0);
  d->evicted(A("2001:db8:1:2:ffff::1"), Refusal::memory, 0);  // the same /64
  d->evicted(A("::ffff:198.18.0.9"), Refusal::global_conns, 0);  // counted as IPv4
  EXPECT_EQ(d->counters().evicted[static_cast<int>(Refusal::global_conns)], 4u);
  EXPECT_EQ(d->counters().evicted[static_cast<int>(Refusal::memory)], 1u);
  auto fams = d->metric_families();
  ASSERT_TRUE(format::prom::check(fams));
  auto body = format::prom::render(fams, format::prom::Format::text);
  ASSERT_TRUE(body);
  EXPECT_NE(body->find("reach_relay_evictions_total{reason=\"global_conns\"} 4\n"), std::string::npos) << *body;
  EXPECT_NE(body->find("reach_relay_evictions_total{reason=\"memory\"} 1\n"), std::string::npos);
  EXPECT_NE(body->find("reach_relay_eviction_hits_total{prefix=\"2001:db8:1:2::/64\"} 4\n"), std::string::npos);
  EXPECT_NE(body->find("reach_relay_eviction_hits_total{prefix=\"198.18.0.9/32\"} 1\n"), std::string::npos);
  ASSERT_TRUE(d->tick(kNsPerMs));
  auto ev = d->take_events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_NE(ev[0].find(R"("count":1,)"), std::string::npos) << ev[0];
  EXPECT_NE(ev[0].find(R"("prefix":"198.18.0.9/32","reason":"global_conns","type":"relay_evict")"),
            std::string::npos) << ev[0];
  EXPECT_NE(ev[1].find(R"("count":4,)"), std::string::npos) << ev[1];
  EXPECT_NE(ev[1].find(R"("reason":"memory")"), std::string::npos) << ev[1];  // the latest cap
  ASSERT_TRUE(d->tick(2 * kNsPerMs));
  EXPECT_TRUE(d->take_events().empty());
}

TEST(RelayDefence, GateAsksForAnEvictionOnlyWhenOffered) {
  DefenceConfig c = flood_config();
  c.limits.max_conns = 1;
  FakeSink fake;
  auto g = defence_gate(c.limits, 3 * kNsPerSec, fake.sink());
  EXPECT_TRUE(g->admit(A("198.18.0.1"), 0, false).ok);
  const auto no = g->admit(A("198.18.0.2"), 0, false);
  EXPECT_FALSE(no.evict);
  EXPECT_EQ(no.reason, "global_conns");
  const auto yes = g->admit_upstream(A("198.18.0.2"), 0, true);
  EXPECT_TRUE(yes.evict);
  EXPECT_EQ(yes.reason, "global_conns");
  g->evicted(A("198.18.0.1"), yes.reason, 0);
  EXPECT_NE(g->metrics_text().find("reach_relay_evictions_total{reason=\"global_conns\"} 1\n"), std::string::npos);
}

TEST(RelayDefence, SynCookiesSaysOnAndOff) {
  EXPECT_NE(SynCookies{0}.text().find("off"), std::string::npos);
  EXPECT_NE(SynCookies{1}.text().find("on"), std::string::npos);
  EXPECT_NE(SynCookies{2}.text().find("always on"), std::string::npos);
  EXPECT_NE(SynCookies{-1}.text().find("unknown"), std::string::npos);
  const SynCookies now = read_syn_cookies();
  EXPECT_GE(now.value, 0);  // /proc/sys/net/ipv4/tcp_syncookies exists on every Linux we run on
}

// Behind a balancer: a client prefix that holds the balancer is banned by the relay only (the
// kernel sees the balancer's address for every client); other clients' bans reach the kernel.
TEST(RelayDefence, BansHoldingABalancerStayLocal) {
  FakeSink fake;
  DefenceConfig c = flood_config();
  c.limits.v4.len = 24;
  c.upstreams = {*parse_prefix("198.18.7.10/32")};
  auto d = Defence::create(c, fake.sink());
  ASSERT_NE(d, nullptr);
  const IpAddr lb = A("198.18.7.10");
  for (const char* client : {"198.18.7.99", "198.18.8.99"})
    for (int i = 0; i < 20; ++i)
      if (d->admit_upstream(lb, 0).ok && !d->handover(lb, A(client), 0).ok) d->released(lb, 0);
  ASSERT_TRUE(d->tick(kNsPerMs));
  ASSERT_EQ(fake.batches.size(), 1u);
  ASSERT_EQ(fake.batches[0].size(), 1u);
  EXPECT_EQ(fake.batches[0][0].prefix.to_string(), "198.18.8.0/24");
  EXPECT_EQ(d->counters().bans_allowed, 1u);
  // Both are banned in the relay; the balancer itself still gets in.
  EXPECT_EQ(d->handover(lb, A("198.18.7.99"), kNsPerSec).reason, Refusal::banned);
  EXPECT_TRUE(d->admit_upstream(lb, kNsPerSec).ok);
}

}  // namespace
}  // namespace reach::tools::relay
