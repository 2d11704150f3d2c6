// TraceEngine: Paris probes, the window, adaptive waits and the end of the trace, and reply
// matching (truncated quotes, wrong flows, forged cookies, duplicates), against a simulated path
// driven by a fake clock.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string_view>

#include "engine/trace_engine.hpp"
#include "packet/icmp_ext.hpp"
#include "trace_script.hpp"

namespace reach::engine {
namespace {

using model::TraceAnswer;
using model::TraceMethod;
using packet::Buffer;
using test::trace_error;
using test::incoming;
using test::target_reply;

constexpr TimeNs kT0 = 1'000 * kNsPerSec;
constexpr TimeNs kMs = kNsPerMs;

using test::ip;

TraceConfig config(TraceMethod m, bool v6 = false) {
  TraceConfig c;
  c.method = m;
  c.target = v6 ? ip("2001:db8:9::2") : ip("198.18.9.2");
  c.source = v6 ? ip("2001:db8:1::1") : ip("198.18.1.1");
  c.sport = 41000;
  c.dport = m == TraceMethod::tcp ? 80 : 33434;
  c.key = 0x5eed;
  c.max_ttl = 12;
  return c;
}

IpAddr router(const TraceConfig& c, int hop) {
  return c.target.is_v4() ? IpAddr::v4(0xc6120000u + (static_cast<std::uint32_t>(hop) << 8) + 1)
                          : ip("2001:db8:" + std::to_string(hop) + "::1");
}

// A path of `routers` routers then the target; `silent` routers never answer. Each hop adds 1 ms
// of RTT. Runs the engine to its end on a fake clock and returns the result.
struct Sim {
  TraceConfig cfg;
  int routers = 4;
  std::set<int> silent;
  std::vector<TraceOutgoing> sent;
  std::vector<model::TraceHop> streamed;
  TimeNs now = kT0;

  Buffer answer_for(const TraceOutgoing& o, IpAddr& from) const {
    if (o.ttl <= routers) {
      from = router(cfg, o.ttl);
      return trace_error(cfg, o, from, cfg.target.is_v4() ? 11 : 3, 0);
    }
    from = cfg.target;
    if (cfg.method == TraceMethod::udp)
      return trace_error(cfg, o, from, cfg.target.is_v4() ? 3 : 1, cfg.target.is_v4() ? 3 : 4);
    return target_reply(cfg, o);
  }

  model::TraceResult run(TimeNs limit = 60 * kNsPerSec) {
    TraceEngine e(cfg, now);
    std::multimap<TimeNs, TraceOutgoing> arrivals;
    for (int step = 0; step < 10000 && !e.done(); ++step) {
      for (auto& o : e.due(now)) {
        e.sent(o.id, now);
        sent.push_back(o);
        int hop = std::min(o.ttl, routers + 1);
        if (!silent.count(o.ttl) || o.ttl > routers) arrivals.emplace(now + hop * kMs, o);
      }
      std::optional<TimeNs> next = e.next_wakeup();
      if (!arrivals.empty()) next = std::min(next.value_or(arrivals.begin()->first), arrivals.begin()->first);
      if (!next) break;
      now = std::max(now, *next);
      if (now > kT0 + limit) break;
      while (!arrivals.empty() && arrivals.begin()->first <= now) {
        IpAddr from;
        Buffer b = answer_for(arrivals.begin()->second, from);
        bool tcp = cfg.method == TraceMethod::tcp && from == cfg.target;
        e.on_packet(incoming(cfg, b, from, arrivals.begin()->first, tcp));
        arrivals.erase(arrivals.begin());
      }
      e.expire(now);
      for (auto& h : e.take_hops()) streamed.push_back(h);
    }
    return e.result(now);
  }
};

void expect_path(const model::TraceResult& r, const Sim& s) {
  ASSERT_TRUE(r.reached);
  ASSERT_EQ(r.final_ttl, s.routers + 1);
  ASSERT_EQ(r.hops.size(), static_cast<std::size_t>(s.routers + 1));
  for (int hop = 1; hop <= s.routers + 1; ++hop) {
    const auto& h = r.hops[hop - 1];
    EXPECT_EQ(h.ttl, hop);
    for (const auto& p : h.probes) {
      if (s.silent.count(hop)) {
        EXPECT_EQ(p.answer, TraceAnswer::none) << hop;
        continue;
      }
      ASSERT_NE(p.answer, TraceAnswer::none) << hop;
      EXPECT_EQ(p.from, hop <= s.routers ? router(s.cfg, hop) : s.cfg.target);
      ASSERT_TRUE(p.rtt);
      EXPECT_EQ(*p.rtt, hop * kMs);
      EXPECT_EQ(p.flag, "");
    }
  }
}

class TraceAllMethods : public ::testing::TestWithParam<std::tuple<TraceMethod, bool>> {};

TEST_P(TraceAllMethods, FourRoutersThenTheTargetInOrder) {
  Sim s;
  s.cfg = config(std::get<0>(GetParam()), std::get<1>(GetParam()));
  auto r = s.run();
  expect_path(r, s);
  EXPECT_EQ(r.counters.ignored, 0u);
  EXPECT_EQ(r.counters.wrong_flow, 0u);
  // Every hop was handed out once, in order.
  ASSERT_EQ(s.streamed.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.streamed[i].ttl, i + 1);
  // All hops in flight at once: the whole trace takes about one RTT to the target, not the sum.
  EXPECT_LE(r.elapsed, 20 * kMs);
}

TEST_P(TraceAllMethods, SilentRouterIsStarsWithoutWaitingTheFullWait) {
  Sim s;
  s.cfg = config(std::get<0>(GetParam()), std::get<1>(GetParam()));
  s.silent = {2};
  auto r = s.run();
  expect_path(r, s);
  // NEAR x the RTT of hop 3 (3 ms) = 30 ms, raised to the 50 ms floor, after hop 2's probes
  // left; not -w 5 s.
  EXPECT_GE(r.elapsed, 50 * kMs);
  EXPECT_LE(r.elapsed, 60 * kMs);
}

// A LAN router answers its first probe in 1 ms; HERE x 1 ms = 3 ms would give up its second
// probe long before a slow-path answer 20 ms later. The floor keeps it, and -w MAX still caps.
TEST(TraceWait, AdaptiveWaitHasAFloorButNeverExceedsMax) {
  for (TimeNs max : {5 * kNsPerSec, 10 * kMs}) {
    TraceConfig c = config(TraceMethod::udp);
    c.max_ttl = 1;
    c.queries = 2;
    c.wait = max;
    TraceEngine e(c, kT0);
    auto out = e.due(kT0);
    ASSERT_EQ(out.size(), 2u);
    for (auto& o : out) e.sent(o.id, kT0);
    auto first = trace_error(c, out[0], router(c, 1), 11, 0);
    ASSERT_TRUE(e.on_packet(incoming(c, first, router(c, 1), kT0 + kMs)));
    EXPECT_TRUE(e.expire(kT0 + 20 * kMs).empty() == (max > 20 * kMs)) << max;
    if (max > 20 * kMs) {
      EXPECT_TRUE(e.expire(kT0 + 49 * kMs).empty());
      EXPECT_EQ(e.expire(kT0 + 50 * kMs).size(), 1u);
    }
  }
}

TEST_P(TraceAllMethods, ParisProbesKeepTheFiveTupleAndVaryTheIdentity) {
  Sim s;
  s.cfg = config(std::get<0>(GetParam()), std::get<1>(GetParam()));
  s.run();
  ASSERT_GE(s.sent.size(), 15u);
  std::set<std::uint16_t> ports, flow_field, identity;
  for (const auto& o : s.sent) {
    ports.insert(o.sport);
    ports.insert(static_cast<std::uint16_t>(o.dport + 1));  // separate from the source port
    if (s.cfg.method == TraceMethod::icmp) {
      flow_field.insert(packet::be16(o.bytes, 4));            // identifier
      if (s.cfg.target.is_v4()) flow_field.insert(packet::be16(o.bytes, 2) ^ 0x8000);  // checksum
      identity.insert(packet::be16(o.bytes, 6));              // sequence
    } else {
      flow_field.insert(packet::be16(o.bytes, 0));
      flow_field.insert(packet::be16(o.bytes, 2));
      identity.insert(s.cfg.method == TraceMethod::udp ? packet::be16(o.bytes, 6)
                                                       : static_cast<std::uint16_t>(packet::be32(o.bytes, 4)));
    }
  }
  EXPECT_EQ(ports.size(), 2u);
  EXPECT_EQ(flow_field.size(), s.cfg.method == TraceMethod::icmp && s.cfg.target.is_v4() ? 2u : (s.cfg.method == TraceMethod::icmp ? 1u : 2u));
  EXPECT_EQ(identity.size(), s.sent.size());
}

INSTANTIATE_TEST_SUITE_P(Methods, TraceAllMethods,
                         ::testing::Combine(::testing::Values(TraceMethod::udp, TraceMethod::icmp, TraceMethod::tcp),
                                            ::testing::Bool()));

TEST(TraceProbes, UdpChecksumIsValidAndIsTheProbeIdentity) {
  for (bool v6 : {false, true}) {
    auto c = config(TraceMethod::udp, v6);
    TraceEngine e(c, kT0);
    for (const auto& o : e.due(kT0)) {
      std::uint32_t pseudo = packet::pseudo_header_sum(c.source, c.target, packet::kProtoUdp,
                                                       static_cast<std::uint32_t>(o.bytes.size()));
      EXPECT_EQ(packet::checksum(o.bytes, pseudo), 0) << "a valid checksum sums to zero";
      EXPECT_EQ(packet::be16(o.bytes, 6), e.wire_id(o.id));
      EXPECT_EQ(e.id_from_wire(packet::be16(o.bytes, 6)), o.id);
    }
  }
}

TEST(TraceProbes, ClassicVariesTheDestinationPort) {
  auto c = config(TraceMethod::udp);
  c.classic = true;
  TraceEngine e(c, kT0);
  auto out = e.due(kT0);
  ASSERT_EQ(out.size(), 16u);
  std::set<std::uint16_t> dports;
  for (const auto& o : out) dports.insert(o.dport);
  EXPECT_EQ(dports.size(), 16u);
  EXPECT_EQ(*dports.begin(), 33434);
  // And an answer is matched by that port.
  auto te = trace_error(c, out[5], router(c, out[5].ttl), 11, 0, 8);
  auto p = e.on_packet(incoming(c, te, router(c, out[5].ttl), kT0 + kMs));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, out[5].id);
}

TEST(TraceWindow, AtMostWindowProbesInFlightAndAGapBetweenSends) {
  auto c = config(TraceMethod::udp);
  c.window = 4;
  c.send_gap = 2 * kMs;
  TraceEngine e(c, kT0);
  EXPECT_EQ(e.due(kT0).size(), 1u);
  EXPECT_EQ(*e.next_wakeup(), kT0 + 2 * kMs);
  EXPECT_TRUE(e.due(kT0 + kMs).empty());
  for (int i = 1; i < 4; ++i) EXPECT_EQ(e.due(kT0 + 2 * i * kMs).size(), 1u);
  EXPECT_TRUE(e.due(kT0 + 100 * kMs).empty()) << "window full";
}

struct Matching : ::testing::Test {
  TraceConfig c = config(TraceMethod::udp);
  TraceEngine e{c, kT0};
  std::vector<TraceOutgoing> out = e.due(kT0);
  void SetUp() override {
    for (auto& o : out) e.sent(o.id, kT0);
  }
};

TEST_F(Matching, EightByteQuoteStillMatches) {
  auto b = trace_error(c, out[4], router(c, 2), 11, 0, 8);
  auto p = e.on_packet(incoming(c, b, router(c, 2), kT0 + 3 * kMs));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, out[4].id);
  EXPECT_EQ(p->ttl, 2);
  EXPECT_EQ(p->answer, TraceAnswer::time_exceeded);
  EXPECT_EQ(*p->rtt, 3 * kMs);
}

TEST_F(Matching, WrongSourcePortIsAnotherFlow) {
  auto o = out[0];
  packet::put16(o.bytes, 0, static_cast<std::uint16_t>(c.sport + 1));
  auto b = trace_error(c, o, router(c, 1), 11, 0);
  EXPECT_FALSE(e.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
  EXPECT_EQ(e.result(kT0).counters.wrong_flow, 1u);
}

TEST_F(Matching, QuoteOfAnotherHostIsIgnored) {
  auto other = c;
  other.target = ip("198.18.7.7");
  auto b = trace_error(other, out[0], router(c, 1), 11, 0);
  EXPECT_FALSE(e.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
  EXPECT_EQ(e.result(kT0).counters.ignored, 1u);
}

TEST_F(Matching, ForgedCookieInALongQuoteIsIgnored) {
  auto o = out[1];
  o.bytes[8 + 6] ^= 0x55;  // inside the cookie; the checksum (the identity) still names probe 1
  auto b = trace_error(c, o, router(c, 1), 11, 0);
  EXPECT_FALSE(e.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
  EXPECT_EQ(e.result(kT0).counters.ignored, 1u);
}

TEST_F(Matching, StormOfDuplicatesCountsOnce) {
  auto b = trace_error(c, out[0], router(c, 1), 11, 0);
  EXPECT_TRUE(e.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(e.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
  auto r = e.result(kT0);
  EXPECT_EQ(r.counters.answered, 1u);
  EXPECT_EQ(r.counters.duplicates, 50u);
}

TEST_F(Matching, EveryTruncationIsRefusedOrMatchedNeverMisattributed) {
  auto full = trace_error(c, out[7], router(c, 3), 11, 0);
  for (std::size_t n = 0; n < full.size(); ++n) {
    TraceEngine fresh(c, kT0);
    for (auto& o : fresh.due(kT0)) fresh.sent(o.id, kT0);
    Buffer cut(full.begin(), full.begin() + static_cast<long>(n));
    auto p = fresh.on_packet(incoming(c, cut, router(c, 3), kT0 + kMs));
    if (p) {
      EXPECT_EQ(p->id, out[7].id) << n;
    }
  }
}

TEST_F(Matching, AdminProhibitedEndsTheTraceAtThatHop) {
  auto b = trace_error(c, out[3], router(c, 2), 3, 13);
  auto p = e.on_packet(incoming(c, b, router(c, 2), kT0 + kMs));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->flag, "!X");
  auto r = e.result(kT0);
  EXPECT_FALSE(r.reached);
  EXPECT_EQ(r.final_ttl, 2);
  EXPECT_EQ(r.hops.size(), 2u);
}

TEST_F(Matching, LateAnswerStillFillsAHopNotYetShown) {
  e.expire(kT0 + 10 * kNsPerSec);  // everything timed out
  auto b = trace_error(c, out[0], router(c, 1), 11, 0);
  auto p = e.on_packet(incoming(c, b, router(c, 1), kT0 + 6 * kNsPerSec));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->late);
  auto hops = e.take_hops();
  ASSERT_FALSE(hops.empty());
  EXPECT_EQ(hops[0].probes[0].answer, TraceAnswer::time_exceeded);
  // Once shown, the hop takes no more answers.
  auto b2 = trace_error(c, out[1], router(c, 1), 11, 0);
  EXPECT_FALSE(e.on_packet(incoming(c, b2, router(c, 1), kT0 + 7 * kNsPerSec)));
  EXPECT_EQ(e.result(kT0).counters.late, 1u);
  EXPECT_EQ(e.result(kT0).counters.duplicates, 0u);
}

TEST(TraceMatchingTcp, RstFromTheTargetEndsTheTraceReached) {
  auto c = config(TraceMethod::tcp);
  TraceEngine e(c, kT0);
  auto out = e.due(kT0);
  auto b = target_reply(c, out[6], true);
  auto p = e.on_packet(incoming(c, b, c.target, kT0 + kMs, true));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->answer, TraceAnswer::reply);
  EXPECT_TRUE(p->at_target);
  EXPECT_EQ(e.result(kT0).final_ttl, out[6].ttl);
  // A SYN-ACK whose ack does not carry our keyed sequence is refused.
  auto forged = target_reply(c, out[7]);
  forged[20 + 8] ^= 0x80;
  EXPECT_FALSE(e.on_packet(incoming(c, forged, c.target, kT0 + kMs, true)));
}

// All SYNs of a flow reach the target as one four-tuple. Their sequence numbers lie within one
// window, so each later SYN draws a RST naming itself; one that does not (reordered) draws a
// challenge ACK naming the first, which answers the oldest probe of the flow still waiting.
TEST(TraceMatchingTcp, EveryProbeTheTargetAnsweredShowsAnRtt) {
  auto c = config(TraceMethod::tcp);
  TraceEngine e(c, kT0);
  auto out = e.due(kT0);
  auto seq = [&](int i) { return packet::parse_tcp(out[static_cast<std::size_t>(i)].bytes)->seq; };
  for (int i = 1; i < 9; ++i) EXPECT_EQ(seq(i) - seq(0), static_cast<std::uint32_t>(i));  // one window
  // The target is at TTL 3 (probes 6, 7, 8): SYN-ACK to the first, then a challenge ACK.
  auto synack = target_reply(c, out[6]);
  ASSERT_TRUE(e.on_packet(incoming(c, synack, c.target, kT0 + kMs, true)));
  auto challenge = target_reply(c, out[6]);
  challenge[20 + 13] = packet::kTcpAck;
  auto p = e.on_packet(incoming(c, challenge, c.target, kT0 + 2 * kMs, true));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, out[7].id);
  EXPECT_EQ(p->rtt, 2 * kMs);
  EXPECT_EQ(p->tcp_flags, packet::kTcpAck);
  auto rst = target_reply(c, out[8], true);
  p = e.on_packet(incoming(c, rst, c.target, kT0 + 3 * kMs, true));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, out[8].id);
  // Nobody left to answer: a further challenge ACK is a duplicate, not a new answer.
  EXPECT_FALSE(e.on_packet(incoming(c, challenge, c.target, kT0 + 4 * kMs, true)));
  EXPECT_EQ(e.result(kT0).counters.duplicates, 1u);
}

TEST(TraceQueuedErrors, UnprivilegedUdpMatchesOnThePayloadMark) {
  auto c = config(TraceMethod::udp);
  c.kernel_header = true;
  TraceEngine e(c, kT0);
  auto out = e.due(kT0);
  ASSERT_EQ(out[0].bytes.size(), c.payload);
  TraceQueuedError q;
  q.original = out[2].bytes;
  q.type = 11;
  q.offender = router(c, 1);
  q.rx = kT0 + kMs;
  auto p = e.on_queued_error(q);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, out[2].id);
  // The same error with a payload too short for the mark: not attributable, not guessed.
  Buffer shortp(out[3].bytes.begin(), out[3].bytes.begin() + 6);
  q.original = shortp;
  EXPECT_FALSE(e.on_queued_error(q));
}

TEST(TraceRounds, IdBaseKeepsRoundsApart) {
  auto c = config(TraceMethod::udp);
  TraceEngine first(c, kT0);
  auto out = first.due(kT0);
  c.id_base = 1000;
  TraceEngine second(c, kT0);
  for (auto& o : second.due(kT0)) second.sent(o.id, kT0);
  auto b = trace_error(c, out[0], router(c, 1), 11, 0, 8);
  EXPECT_FALSE(second.on_packet(incoming(c, b, router(c, 1), kT0 + kMs)));
}

}  // namespace
}  // namespace reach::engine

namespace reach::engine {
namespace {

// Manual mode (the MDA's prober): probes asked one by one, each flow its own five-tuple (UDP/TCP
// source port, ICMP checksum), answers mapped back to (ttl, flow).
class TraceManual : public ::testing::TestWithParam<TraceMethod> {};

TEST_P(TraceManual, FlowsGetTheirOwnFiveTupleAndAnswersComeBackToThem) {
  auto c = config(GetParam());
  c.manual = true;
  TraceEngine e(c, kT0);
  EXPECT_TRUE(e.due(kT0).empty());
  std::vector<TraceOutgoing> out;
  for (std::uint16_t flow = 0; flow < 6; ++flow) out.push_back(*e.probe(2 + flow % 2, flow, kT0));
  std::set<std::uint16_t> flow_fields;
  for (const auto& o : out) {
    // UDP/TCP: the source port; ICMP: the checksum (its identifier is fixed).
    if (GetParam() == TraceMethod::icmp) flow_fields.insert(packet::be16(o.bytes, 2));
    else flow_fields.insert(packet::be16(o.bytes, 0));
  }
  EXPECT_EQ(flow_fields.size(), 6u);
  // The same flow asked again keeps its five-tuple.
  auto again = *e.probe(5, 3, kT0);
  if (GetParam() == TraceMethod::icmp) EXPECT_EQ(packet::be16(again.bytes, 2), packet::be16(out[3].bytes, 2));
  else EXPECT_EQ(packet::be16(again.bytes, 0), packet::be16(out[3].bytes, 0));
  for (std::size_t i : {4u, 1u}) {
    auto b = trace_error(c, out[i], router(c, out[i].ttl), 11, 0, 8);
    auto p = e.on_packet(incoming(c, b, router(c, out[i].ttl), kT0 + kMs));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->flow, i);
    EXPECT_EQ(p->ttl, out[i].ttl);
  }
  // Answers never end a manual trace: the others time out, then it is done.
  EXPECT_FALSE(e.done());
  EXPECT_EQ(e.expire(kT0 + 6 * kNsPerSec).size(), 5u);
  EXPECT_TRUE(e.done());
}

INSTANTIATE_TEST_SUITE_P(Methods, TraceManual, ::testing::Values(TraceMethod::udp, TraceMethod::icmp, TraceMethod::tcp));

}  // namespace
}  // namespace reach::engine

namespace reach::engine {
namespace {

// A router inside an MPLS tunnel appends its label stack (RFC 4884/4950) to time exceeded.
TEST(TraceMpls, LabelStackOfTheTimeExceededIsKept) {
  for (bool v6 : {false, true}) {
    auto c = config(TraceMethod::udp, v6);
    TraceEngine e(c, kT0);
    auto out = e.due(kT0);
    for (auto& o : out) e.sent(o.id, kT0);
    Buffer quoted = test::ip_packet(c.target.family(), c.source, c.target, packet::kProtoUdp, out[3].bytes);
    packet::MplsLabel stack[] = {{24001, 0, false, 1}, {16, 5, true, 1}};
    packet::ExtensionObject objs[] = {packet::mpls_object(stack)};
    Buffer icmp = packet::build_icmp_error_with_extensions(c.target.family(), v6 ? 3 : 11, 0, quoted, objs);
    Buffer b = v6 ? icmp : test::ipv4(router(c, 2), c.source, packet::kProtoIcmp, icmp);
    auto p = e.on_packet(incoming(c, b, router(c, 2), kT0 + kMs));
    ASSERT_TRUE(p) << v6;
    EXPECT_EQ(p->id, out[3].id);
    ASSERT_EQ(p->mpls.size(), 2u);
    EXPECT_EQ(p->mpls[0].label, 24001u);
    EXPECT_FALSE(p->mpls[0].bottom);
    EXPECT_EQ(p->mpls[1].label, 16u);
    EXPECT_EQ(p->mpls[1].tc, 5);
    EXPECT_TRUE(p->mpls[1].bottom);
    // The hop handed out later carries it too.
    e.expire(kT0 + 10 * kNsPerSec);
    auto hops = e.take_hops();
    ASSERT_GE(hops.size(), 2u);
    EXPECT_EQ(hops[1].probes[0].mpls, p->mpls);
  }
}

}  // namespace
}  // namespace reach::engine
