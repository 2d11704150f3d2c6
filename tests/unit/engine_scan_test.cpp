// The scan engine with a fake clock: permutation, pacing, cookies, reply matching, retries and
// the adaptive wait. Replies are made from the probes the engine asked us to send.
#include <gtest/gtest.h>

#include <set>

#include "engine/scan_engine.hpp"
#include "packet/icmp.hpp"
#include "packet/tcp.hpp"

namespace reach::engine {
namespace {

using model::PortReason;
using model::PortState;

constexpr TimeNs kT0 = 1'000 * kNsPerSec;
constexpr TimeNs kMs = kNsPerMs;
constexpr std::uint8_t kSynAck = packet::kTcpSyn | packet::kTcpAck;
constexpr std::uint8_t kRstAck = packet::kTcpRst | packet::kTcpAck;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

TargetSet targets(std::initializer_list<const char*> specs) {
  TargetSet s;
  for (const char* t : specs) s.add(*parse_target(t)->range);
  s.finalize();
  return s;
}

TEST(ScanOrder, PermutationIsABijectionAndDependsOnTheSeed) {
  for (std::uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 100ULL, 1000ULL, 65535ULL}) {
    Permutation p(n, 42);
    std::vector<bool> seen(n, false);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto x = p.at(i);
      ASSERT_LT(x, n);
      ASSERT_FALSE(seen[x]) << "n=" << n << " repeats " << x;
      seen[x] = true;
    }
  }
  Permutation a(1000, 1), b(1000, 2), a2(1000, 1);
  int same = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    same += a.at(i) == b.at(i);
    EXPECT_EQ(a.at(i), a2.at(i));
  }
  EXPECT_LT(same, 50);
  int fixed = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) fixed += a.at(i) == i;
  EXPECT_LT(fixed, 50);  // shuffled, not the identity
}

TEST(ScanOrder, TokenBucketPacesAtTheRate) {
  TokenBucket b(1000, 10);  // 1000/s, bursts of 10
  EXPECT_EQ(b.take(kT0, 100), 10u);
  EXPECT_EQ(b.take(kT0, 100), 0u);
  EXPECT_EQ(b.next_token_at(kT0), kT0 + kMs);
  EXPECT_EQ(b.take(kT0 + 5 * kMs, 100), 5u);
  EXPECT_EQ(b.take(kT0 + 1000 * kMs, 100), 10u);  // never more than the burst
  std::uint64_t total = 0;
  for (TimeNs t = kT0 + 1000 * kMs; t <= kT0 + 2000 * kMs; t += kMs / 3) total += b.take(t, 1000);
  EXPECT_NEAR(static_cast<double>(total), 1000, 2);
}

struct Fixture {
  TargetSet set;
  ScanEngine eng;
  Fixture(std::initializer_list<const char*> t, std::vector<std::uint16_t> ports, ScanConfig cfg)
      : set(targets(t)), eng(set, std::move(ports), cfg) {}
};

ScanConfig config() {
  ScanConfig c;
  c.key = 0x1234;
  c.seed = 7;
  c.retries = 2;
  c.max_wait = 500 * kMs;
  c.min_wait = 20 * kMs;
  return c;
}

TEST(ScanEngine, SendsEveryProbeOnceAndMatchesRepliesByCookie) {
  Fixture f({"198.18.0.2"}, {22, 80, 443, 8080}, config());
  std::vector<ScanProbe> sent;
  while (auto p = f.eng.next_probe(kT0)) sent.push_back(*p);
  ASSERT_EQ(sent.size(), 4u);
  std::set<std::uint16_t> ports;
  for (const auto& p : sent) {
    ports.insert(p.dport);
    EXPECT_GE(p.sport, kScanPortBase);
    EXPECT_LT(p.sport, kScanPortBase + kScanPortCount);
  }
  EXPECT_EQ(ports.size(), 4u);
  const IpAddr t = ip("198.18.0.2");
  auto by_port = [&](std::uint16_t port) {
    for (const auto& p : sent)
      if (p.dport == port) return p;
    return ScanProbe{};
  };
  auto p22 = by_port(22), p80 = by_port(80), p443 = by_port(443);
  // Wrong ack, wrong port, a stranger, a segment to a port outside ours.
  EXPECT_EQ(f.eng.on_tcp(t, 22, p22.sport, p22.seq + 2, kSynAck, 64, kT0 + kMs), ScanMatch::ignored);
  EXPECT_EQ(f.eng.on_tcp(t, 22, static_cast<std::uint16_t>(p22.sport ^ 1), p22.seq + 1, kSynAck, 64, kT0 + kMs),
            ScanMatch::ignored);
  EXPECT_EQ(f.eng.on_tcp(ip("198.18.0.3"), 22, p22.sport, p22.seq + 1, kSynAck, 64, kT0 + kMs), ScanMatch::ignored);
  EXPECT_EQ(f.eng.on_tcp(t, 22, 5000, p22.seq + 1, kSynAck, 64, kT0 + kMs), ScanMatch::unrelated);
  EXPECT_EQ(f.eng.on_tcp(t, 22, p22.sport, p22.seq + 1, packet::kTcpRst, 64, kT0 + kMs), ScanMatch::ignored);
  EXPECT_EQ(f.eng.summary().ignored, 4u);
  // The real answers.
  EXPECT_EQ(f.eng.on_tcp(t, 22, p22.sport, p22.seq + 1, kSynAck, 64, kT0 + 2 * kMs), ScanMatch::answer);
  EXPECT_EQ(f.eng.on_tcp(t, 22, p22.sport, p22.seq + 1, kSynAck, 64, kT0 + 3 * kMs), ScanMatch::duplicate);
  EXPECT_EQ(f.eng.on_tcp(t, 80, p80.sport, p80.seq + 1, kRstAck, 64, kT0 + 2 * kMs), ScanMatch::answer);
  // An ICMP admin-prohibited from a router quoting our SYN to 443.
  EXPECT_EQ(f.eng.on_icmp(ip("198.18.0.1"), Family::v4, 3, 13, t, p443.sport, 443, p443.seq + 1, 63, kT0 + kMs),
            ScanMatch::ignored);  // wrong quoted sequence
  EXPECT_EQ(f.eng.on_icmp(ip("198.18.0.1"), Family::v4, 3, 13, t, p443.sport, 443, p443.seq, 63, kT0 + kMs),
            ScanMatch::answer);
  EXPECT_EQ(f.eng.max_rtt(), 2 * kMs);

  // 8080 never answers: two retry passes, each after the adaptive wait (3 x 2 ms -> 20 ms floor).
  EXPECT_FALSE(f.eng.advance(kT0 + 10 * kMs));
  EXPECT_EQ(f.eng.wait_until(), kT0 + 20 * kMs);
  EXPECT_FALSE(f.eng.advance(kT0 + 20 * kMs));
  auto r1 = f.eng.next_probe(kT0 + 20 * kMs);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->dport, 8080);
  EXPECT_EQ(r1->seq, by_port(8080).seq);  // same cookie: a late reply to the first send still counts
  EXPECT_FALSE(f.eng.next_probe(kT0 + 20 * kMs));
  EXPECT_FALSE(f.eng.advance(kT0 + 40 * kMs));
  ASSERT_TRUE(f.eng.next_probe(kT0 + 40 * kMs));
  EXPECT_FALSE(f.eng.advance(kT0 + 100 * kMs));  // the pass is not fully sent yet
  EXPECT_FALSE(f.eng.next_probe(kT0 + 40 * kMs));
  EXPECT_FALSE(f.eng.advance(kT0 + 59 * kMs));
  EXPECT_TRUE(f.eng.advance(kT0 + 60 * kMs));

  auto res = f.eng.results();
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res[0].port, 22);
  EXPECT_EQ(res[0].state, PortState::open);
  EXPECT_EQ(res[0].reason, PortReason::syn_ack);
  EXPECT_EQ(res[1].port, 80);
  EXPECT_EQ(res[1].state, PortState::closed);
  EXPECT_EQ(res[1].reason, PortReason::rst);
  EXPECT_EQ(res[2].port, 443);
  EXPECT_EQ(res[2].state, PortState::filtered);
  EXPECT_EQ(res[2].reason, PortReason::admin_prohibited);
  EXPECT_EQ(res[2].from, ip("198.18.0.1"));
  EXPECT_EQ(res[3].port, 8080);
  EXPECT_EQ(res[3].state, PortState::filtered);
  EXPECT_EQ(res[3].reason, PortReason::no_response);
  auto s = f.eng.summary();
  EXPECT_EQ(s.sent, 6u);
  EXPECT_EQ(s.replies, 3u);
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.passes, 3);
  EXPECT_EQ(s.hosts_up, 1u);
}

TEST(ScanEngine, SilentAddressesAreNotReportedAndTheWaitIsTheMaximumWithoutSamples) {
  Fixture f({"198.18.0.0/30", "2001:db8::7"}, {80}, config());
  std::vector<ScanProbe> sent;
  while (auto p = f.eng.next_probe(kT0)) sent.push_back(*p);
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(f.eng.wait_until(), kT0 + 500 * kMs);  // no RTT sample yet: the full --wait
  for (const auto& p : sent) {
    if (p.dst == ip("2001:db8::7")) {
      EXPECT_EQ(f.eng.on_tcp(p.dst, 80, p.sport, p.seq + 1, kSynAck, 64, kT0 + kMs), ScanMatch::answer);
    }
  }
  auto res = f.eng.results();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].addr, ip("2001:db8::7"));
  EXPECT_EQ(f.eng.summary().hosts_up, 1u);
}

TEST(ScanEngine, ACutShortScanReportsOnlyWhatAnswered) {
  Fixture f({"198.18.0.2"}, {1, 2, 3}, config());
  auto p = f.eng.next_probe(kT0);
  f.eng.on_tcp(p->dst, p->dport, p->sport, p->seq + 1, kSynAck, 64, kT0 + kMs);
  auto partial = f.eng.results(false);
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].state, PortState::open);
  EXPECT_EQ(f.eng.results(true).size(), 3u);  // complete: the two others are filtered
}

TEST(ScanEngine, EverythingAnsweredEndsWithoutWaiting) {
  Fixture f({"198.18.0.2"}, {1, 2, 3}, config());
  while (auto p = f.eng.next_probe(kT0)) f.eng.on_tcp(p->dst, p->dport, p->sport, p->seq + 1, kRstAck, 64, kT0);
  EXPECT_TRUE(f.eng.advance(kT0));
}

TEST(ScanEngine, AnRttOfZeroIsStillASample) {
  Fixture f({"198.18.0.2"}, {1, 2}, config());
  auto p = f.eng.next_probe(kT0);
  f.eng.on_tcp(p->dst, p->dport, p->sport, p->seq + 1, kRstAck, 64, kT0);  // same clock reading
  ASSERT_TRUE(f.eng.next_probe(kT0));
  EXPECT_FALSE(f.eng.next_probe(kT0));
  EXPECT_EQ(f.eng.wait_until(), kT0 + 20 * kMs);  // the floor, not the 500 ms maximum
}

TEST(ScanEngine, FixedWaitIsHonoured) {
  auto c = config();
  c.fixed_wait = true;
  c.max_wait = 300 * kMs;
  c.retries = 0;
  Fixture f({"198.18.0.2"}, {1, 2}, c);
  auto p = f.eng.next_probe(kT0);
  f.eng.on_tcp(p->dst, p->dport, p->sport, p->seq + 1, kRstAck, 64, kT0 + kMs);
  ASSERT_TRUE(f.eng.next_probe(kT0));
  EXPECT_FALSE(f.eng.next_probe(kT0));
  EXPECT_FALSE(f.eng.advance(kT0 + 299 * kMs));
  EXPECT_TRUE(f.eng.advance(kT0 + 300 * kMs));
}

TEST(ScanEngine, ConnectOutcomesAreRecorded) {
  Fixture f({"198.18.0.2"}, {22, 23}, config());
  auto a = f.eng.next_probe(kT0), b = f.eng.next_probe(kT0);
  f.eng.record(a->index, PortState::open, PortReason::connected, a->dst);
  f.eng.record(b->index, PortState::filtered, PortReason::host_unreachable, ip("198.18.0.1"));
  f.eng.record(999, PortState::open, PortReason::connected, a->dst);  // out of range: ignored
  auto res = f.eng.results();
  ASSERT_EQ(res.size(), 2u);
  EXPECT_TRUE(f.eng.advance(kT0));
}

}  // namespace
}  // namespace reach::engine
