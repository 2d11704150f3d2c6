// PingEngine scheduling, RTTs, loss accounting and summaries, driven by a fake clock and
// scripted ICMPv4 echo replies (raw socket view: IPv4 header + ICMP).
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <set>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/ping_engine.hpp"
#include "packet/checksum.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packets.hpp"

namespace reach::engine {
namespace {

using model::EventType;
using model::ProbeEvent;
using model::StampSource;
using packet::Buffer;
using test::ip;
using test::ipv4;

constexpr TimeNs kT0 = 1'700'000'000 * kNsPerSec;
constexpr TimeNs kMs = kNsPerMs;
constexpr TimeNs kSec = kNsPerSec;
constexpr std::uint64_t kKey = 0x5eed5eed12345678ULL;

const IpAddr kUs = ip("198.18.1.1");
const IpAddr kTarget = ip("198.18.0.2");
const IpAddr kTarget2 = ip("198.18.0.3");
const IpAddr kTarget3 = ip("198.18.0.4");

// The echo reply a target sends back for our request, as a raw IPv4 socket delivers it.
Buffer echo_reply4(const Outgoing& o, const IpAddr& from) {
  Buffer icmp = o.bytes;
  icmp[0] = packet::kIcmp4EchoReply;
  packet::put16(icmp, 2, 0);
  packet::put16(icmp, 2, packet::checksum(icmp));
  return ipv4(from, kUs, packet::kProtoIcmp, icmp);
}

Incoming raw4(const Buffer& b, TimeNs rx, bool kernel_rx = false) {
  Incoming in;
  in.channel = Channel::icmp_raw;
  in.family = Family::v4;
  in.data = b;
  in.from = IpAddr::from_bytes(Family::v4, &b[12]);
  in.rx = rx;
  in.kernel_rx = kernel_rx;
  return in;
}

TargetSpec spec(const IpAddr& a, std::uint16_t ident) { return TargetSpec{a, kUs, ident}; }

std::vector<Outgoing> send_due(PingEngine& e, TimeNs now) {
  auto out = e.due(now);
  for (const auto& o : out) e.sent(o.target, o.seq, now);
  return out;
}

std::vector<std::uint32_t> seqs(const std::vector<Outgoing>& out) {
  std::vector<std::uint32_t> s;
  for (const auto& o : out) s.push_back(o.seq);
  return s;
}

// A simulated run: 1 ms steps from kT0; each (target, seq) in `delay` is answered that long after
// it was sent; events in order. Stops when the engine is done or at `until`.
using Delays = std::map<std::pair<std::size_t, std::uint32_t>, TimeNs>;

struct Sim {
  Sim(PingEngine& engine, Delays d) : e(engine), delay(std::move(d)) {}
  PingEngine& e;
  Delays delay;
  std::vector<ProbeEvent> events;
  std::map<std::pair<std::size_t, std::uint32_t>, TimeNs> sent_at;
  TimeNs ended = -1;

  void run(TimeNs until, TimeNs step = kMs) {
    struct Pending {
      TimeNs at;
      Buffer pkt;
    };
    std::vector<Pending> pending;
    for (TimeNs now = kT0; now <= until; now += step) {
      for (const auto& o : send_due(e, now)) {
        sent_at[{o.target, o.seq}] = now;
        auto it = delay.find({o.target, o.seq});
        if (it != delay.end()) pending.push_back({now + it->second, echo_reply4(o, e.target(o.target).addr)});
      }
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->at <= now) {
          for (auto& ev : e.on_packet(raw4(it->pkt, now))) events.push_back(ev);
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& ev : e.expire(now)) events.push_back(ev);
      if (e.done(now)) {
        ended = now;
        return;
      }
    }
  }
};

// --- scheduling -----------------------------------------------------------------------------

struct DueStep {
  TimeNs at;
  std::vector<std::uint32_t> seqs;
};

TEST(EngineSchedule, CountThreeOneSecondApartNothingBetween) {
  PingConfig cfg;
  cfg.count = 3;
  cfg.interval = kSec;
  PingEngine e(cfg, {spec(kTarget, 0x1234)}, kKey, kT0);
  const std::vector<DueStep> steps = {
      {kT0, {1}},
      {kT0 + 1, {}},
      {kT0 + 500 * kMs, {}},
      {kT0 + kSec - 1, {}},
      {kT0 + kSec, {2}},
      {kT0 + kSec, {}},  // asked twice at the same time: once only
      {kT0 + 1500 * kMs, {}},
      {kT0 + 2 * kSec, {3}},
      {kT0 + 3 * kSec, {}},  // count reached
      {kT0 + 10 * kSec, {}},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.at - kT0);
    auto out = send_due(e, s.at);
    EXPECT_EQ(seqs(out), s.seqs);
    for (const auto& o : out) {
      EXPECT_EQ(o.target, 0u);
      auto m = packet::parse_icmp(o.bytes);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->type, packet::kIcmp4EchoRequest);
      EXPECT_EQ(m->ident, 0x1234);
      EXPECT_EQ(m->seq, o.seq);
      EXPECT_EQ(o.bytes.size(), 8u + 56u);
      EXPECT_TRUE(packet::icmp4_checksum_ok(o.bytes));
    }
  }
  EXPECT_EQ(e.summary(0, kT0 + 10 * kSec).transmitted, 3u);
}

TEST(EngineSchedule, EachTargetGetsItsOwnProbes) {
  PingConfig cfg;
  cfg.count = 2;
  PingEngine e(cfg, {spec(kTarget, 0x100), spec(kTarget2, 0x200), spec(kTarget3, 0x300)}, kKey, kT0);
  auto first = send_due(e, kT0);
  ASSERT_EQ(first.size(), 3u);
  std::set<std::uint64_t> cookies;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].target, i);
    EXPECT_EQ(first[i].seq, 1u);
    auto m = packet::parse_icmp(first[i].bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->ident, 0x100 * (i + 1));
    auto c = packet::echo_cookie(m->body);
    ASSERT_TRUE(c);
    cookies.insert(*c);
  }
  EXPECT_EQ(cookies.size(), 3u) << "each target's probe carries its own cookie";
  EXPECT_TRUE(send_due(e, kT0 + kSec / 2).empty());
  auto second = send_due(e, kT0 + kSec);
  ASSERT_EQ(second.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(second[i].seq, 2u);
  EXPECT_TRUE(send_due(e, kT0 + 2 * kSec).empty());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(e.summary(i, kT0 + 2 * kSec).transmitted, 2u);
}

TEST(EngineSchedule, RepliesGoToTheTargetThatSentThem) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 0x100), spec(kTarget2, 0x200)}, kKey, kT0);
  auto out = send_due(e, kT0);
  ASSERT_EQ(out.size(), 2u);
  auto r2 = echo_reply4(out[1], kTarget2);
  auto evs = e.on_packet(raw4(r2, kT0 + 7 * kMs));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].target, 1u);
  EXPECT_EQ(evs[0].from, kTarget2);
  EXPECT_EQ(e.summary(0, kT0 + kSec).received, 0u);
  EXPECT_EQ(e.summary(1, kT0 + kSec).received, 1u);
  // Target 1's reply claiming to come from target 0 carries target 1's ident and cookie: not ours.
  auto forged = echo_reply4(out[1], kTarget);
  EXPECT_TRUE(e.on_packet(raw4(forged, kT0 + 8 * kMs)).empty());
  EXPECT_EQ(e.summary(0, kT0 + kSec).received, 0u);
}

TEST(EngineSchedule, DeadlineStopsSending) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.interval = kSec;
  cfg.deadline = 3500 * kMs;
  PingEngine e(cfg, {spec(kTarget, 1)}, kKey, kT0);
  std::vector<std::uint32_t> all;
  for (TimeNs t = kT0; t <= kT0 + 10 * kSec; t += 100 * kMs)
    for (auto s : seqs(send_due(e, t))) all.push_back(s);
  EXPECT_EQ(all, (std::vector<std::uint32_t>{1, 2, 3, 4}));
  EXPECT_FALSE(e.done(kT0 + 3500 * kMs - 1));
  EXPECT_TRUE(e.done(kT0 + 3500 * kMs));
  EXPECT_EQ(e.summary(0, kT0 + 3500 * kMs).transmitted, 4u);
}

TEST(EngineSchedule, DeadlineWithCountKeepsSendingUntilCountReplies) {
  // ping -c 2 -w 10: keep probing until two answers came back (or the deadline).
  PingConfig cfg;
  cfg.count = 2;
  cfg.interval = kSec;
  cfg.wait = kSec;
  cfg.deadline = 10 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  Sim sim(e, {{{0, 4}, 10 * kMs}, {{0, 5}, 10 * kMs}, {{0, 6}, 10 * kMs}});
  sim.run(kT0 + 20 * kSec);
  auto s = e.summary(0, kT0 + 20 * kSec);
  EXPECT_EQ(s.transmitted, 5u);
  EXPECT_EQ(s.received, 2u);
  EXPECT_EQ(sim.ended, kT0 + 4 * kSec + 10 * kMs);
  EXPECT_EQ(sim.sent_at.count(std::make_pair(std::size_t{0}, std::uint32_t{6})), 0u);
}

TEST(EngineSchedule, CountWithoutDeadlineSendsExactlyCount) {
  PingConfig cfg;
  cfg.count = 2;
  cfg.wait = kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  Sim sim(e, {});
  sim.run(kT0 + 20 * kSec);
  auto s = e.summary(0, kT0 + 20 * kSec);
  EXPECT_EQ(s.transmitted, 2u);
  EXPECT_EQ(s.received, 0u);
  EXPECT_EQ(sim.ended, kT0 + kSec + kSec);  // seq 2's wait ends
}

TEST(EngineSchedule, HardStopEndsAtOnce) {
  PingConfig cfg;
  cfg.count = -1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = send_due(e, kT0);
  send_due(e, kT0 + kSec);
  EXPECT_FALSE(e.done(kT0 + 1200 * kMs));
  e.stop(kT0 + 1200 * kMs, true);
  EXPECT_TRUE(e.done(kT0 + 1200 * kMs));
  EXPECT_TRUE(e.due(kT0 + 2 * kSec).empty());
  // Probes cut short are lost but not reported as timed out.
  EXPECT_TRUE(e.expire(kT0 + 1200 * kMs).empty());
  auto s = e.summary(0, kT0 + 1200 * kMs);
  EXPECT_EQ(s.transmitted, 2u);
  EXPECT_EQ(s.received, 0u);
  // An answer after the stop is late, not received.
  auto evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 1300 * kMs));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_TRUE(evs[0].late);
  EXPECT_EQ(e.summary(0, kT0 + 1300 * kMs).received, 0u);
}

TEST(EngineSchedule, SoftStopWaitsForOutstandingProbes) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0);
  auto o2 = send_due(e, kT0 + kSec);
  e.stop(kT0 + 1200 * kMs, false);
  EXPECT_TRUE(e.due(kT0 + 2 * kSec).empty());
  EXPECT_FALSE(e.done(kT0 + 1200 * kMs));
  auto t = e.expire(kT0 + 2 * kSec);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].type, EventType::timeout);
  EXPECT_EQ(t[0].seq, 1u);
  EXPECT_EQ(t[0].when, kT0 + 2 * kSec);
  EXPECT_FALSE(e.done(kT0 + 2 * kSec));
  EXPECT_EQ(e.next_wakeup(), kT0 + 3 * kSec);
  auto r = e.on_packet(raw4(echo_reply4(o2[0], kTarget), kT0 + 2500 * kMs));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(e.done(kT0 + 2500 * kMs));
  EXPECT_EQ(e.next_wakeup(), std::nullopt);
}

TEST(EngineSchedule, DoneAfterLastProbeAnswered) {
  PingConfig cfg;
  cfg.count = 2;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = send_due(e, kT0);
  EXPECT_FALSE(e.done(kT0));
  e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 5 * kMs));
  EXPECT_FALSE(e.done(kT0 + 5 * kMs));  // one more to send
  auto o2 = send_due(e, kT0 + kSec);
  EXPECT_FALSE(e.done(kT0 + kSec));
  e.on_packet(raw4(echo_reply4(o2[0], kTarget), kT0 + kSec + 5 * kMs));
  EXPECT_TRUE(e.done(kT0 + kSec + 5 * kMs));
}

TEST(EngineSchedule, DoneAfterLastProbeExpired) {
  PingConfig cfg;
  cfg.count = 1;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0);
  EXPECT_TRUE(e.expire(kT0 + 2 * kSec - 1).empty());
  EXPECT_FALSE(e.done(kT0 + 2 * kSec - 1));
  auto t = e.expire(kT0 + 2 * kSec);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].seq, 1u);
  EXPECT_TRUE(e.done(kT0 + 2 * kSec));
}

TEST(EngineSchedule, NextWakeup) {
  PingConfig cfg;
  cfg.count = 2;
  cfg.interval = kSec;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  EXPECT_EQ(e.next_wakeup(), kT0);
  auto o1 = send_due(e, kT0);
  EXPECT_EQ(e.next_wakeup(), kT0 + kSec);  // the next send comes before seq 1's expiry
  auto o2 = send_due(e, kT0 + kSec);
  EXPECT_EQ(e.next_wakeup(), kT0 + 2 * kSec);  // nothing to send: seq 1's expiry
  e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 1500 * kMs));
  EXPECT_EQ(e.next_wakeup(), kT0 + 3 * kSec);  // seq 1 answered: seq 2's expiry
  e.on_packet(raw4(echo_reply4(o2[0], kTarget), kT0 + 1600 * kMs));
  EXPECT_EQ(e.next_wakeup(), std::nullopt);
}

TEST(EngineSchedule, NextWakeupNeverPassesTheDeadline) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.interval = kSec;
  cfg.wait = 2 * kSec;
  cfg.deadline = 1500 * kMs;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0);
  EXPECT_EQ(e.next_wakeup(), kT0 + kSec);
  send_due(e, kT0 + kSec);
  EXPECT_EQ(e.next_wakeup(), kT0 + 1500 * kMs);
}

TEST(EngineSchedule, MultipleTargetsNextWakeupIsTheEarliest) {
  PingConfig cfg;
  cfg.count = 1;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 1), spec(kTarget2, 2)}, kKey, kT0);
  auto out = e.due(kT0);
  ASSERT_EQ(out.size(), 2u);
  e.sent(0, 1, kT0 + 3 * kMs);
  e.sent(1, 1, kT0 + 4 * kMs);
  EXPECT_EQ(e.next_wakeup(), kT0 + 2 * kSec + 3 * kMs);
  e.on_packet(raw4(echo_reply4(out[0], kTarget), kT0 + 10 * kMs));
  EXPECT_EQ(e.next_wakeup(), kT0 + 2 * kSec + 4 * kMs);
  EXPECT_FALSE(e.done(kT0 + 10 * kMs));
}

TEST(EngineSchedule, StallDoesNotCatchUpEveryMissedProbe) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.interval = kSec;
  cfg.wait = 10 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0);
  // Stopped for 5.5 s: five probes were missed; they are not all sent at once.
  std::size_t burst = 0;
  for (int i = 0; i < 10; ++i) burst += send_due(e, kT0 + 5500 * kMs).size();
  EXPECT_GE(burst, 1u);
  EXPECT_EQ(burst, 1u);
  // Then the schedule runs from the wake-up, one interval apart.
  EXPECT_TRUE(send_due(e, kT0 + 6499 * kMs).empty());
  EXPECT_EQ(seqs(send_due(e, kT0 + 6500 * kMs)).size(), 1u);
}

// After the caller wakes up late by an interval or more, the next probe is one interval away:
// no burst of two to catch up.
TEST(EngineSchedule, NoBurstAfterAStall) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.interval = kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  EXPECT_EQ(seqs(send_due(e, kT0)), (std::vector<std::uint32_t>{1}));
  // The process was stopped for 5.5 s.
  EXPECT_EQ(e.expire(kT0 + 5500 * kMs).size(), 1u);
  EXPECT_EQ(seqs(send_due(e, kT0 + 5500 * kMs)), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(e.next_wakeup(), kT0 + 6500 * kMs);  // today: kT0 + 5.5 s, a second probe at once
  EXPECT_TRUE(send_due(e, kT0 + 5500 * kMs).empty());
}

TEST(EngineSchedule, SlightlyLateWakeupsKeepTheSchedule) {
  PingConfig cfg;
  cfg.count = -1;
  cfg.interval = kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0 + 3 * kMs);
  EXPECT_EQ(e.next_wakeup(), kT0 + kSec);  // not kT0 + 1.003 s: no drift
  send_due(e, kT0 + kSec + 7 * kMs);
  EXPECT_EQ(e.next_wakeup(), kT0 + 2 * kSec);
}

// --- RTTs and timestamps --------------------------------------------------------------------

TEST(EngineRtt, ReplyRxMinusTx) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto out = e.due(kT0);
  ASSERT_EQ(out.size(), 1u);
  e.sent(0, 1, kT0 + 123 * kNsPerUs);
  auto evs = e.on_packet(raw4(echo_reply4(out[0], kTarget), kT0 + 123 * kNsPerUs + 10'061'000));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, EventType::reply);
  EXPECT_EQ(evs[0].rtt, 10'061'000);
  EXPECT_EQ(evs[0].when, kT0 + 123 * kNsPerUs + 10'061'000);
  EXPECT_EQ(evs[0].tx_source, StampSource::user);
  EXPECT_EQ(evs[0].rx_source, StampSource::user);
  EXPECT_FALSE(evs[0].duplicate);
  EXPECT_FALSE(evs[0].late);
}

TEST(EngineRtt, KernelTxStampReplacesUserTime) {
  PingConfig cfg;
  cfg.count = 2;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = e.due(kT0);
  e.sent(0, 1, kT0 + 100 * kNsPerUs, kT0 + 200 * kNsPerUs);  // the send call took 100 us
  e.tx_stamp(0, 1, kT0 + 150 * kNsPerUs);
  e.tx_stamp(0, 99, kT0);  // a stamp for a probe we never sent changes nothing
  auto evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 150 * kNsPerUs + 10 * kMs, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].rtt, 10 * kMs);
  EXPECT_EQ(evs[0].tx_source, StampSource::kernel);
  EXPECT_EQ(evs[0].rx_source, StampSource::kernel);
  EXPECT_TRUE(e.summary(0, kT0 + kSec).all_kernel_stamps);

  // Second probe: no TX stamp, so the user time counts and the summary is "mixed".
  auto o2 = e.due(kT0 + kSec);
  e.sent(0, 2, kT0 + kSec);
  evs = e.on_packet(raw4(echo_reply4(o2[0], kTarget), kT0 + kSec + 20 * kMs, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].rtt, 20 * kMs);
  EXPECT_EQ(evs[0].tx_source, StampSource::user);
  EXPECT_EQ(evs[0].rx_source, StampSource::kernel);
  EXPECT_FALSE(e.summary(0, kT0 + 2 * kSec).all_kernel_stamps);
  EXPECT_EQ(e.summary(0, kT0 + 2 * kSec).stamps_dropped, 0u);
}

// Many targets start spread over the interval, never all in one instant.
TEST(EngineSchedule, TargetsStartSpreadOverTheInterval) {
  PingConfig cfg;
  cfg.count = 2;
  cfg.interval = 200 * kMs;
  cfg.spread = 100 * kNsPerUs;
  std::vector<TargetSpec> specs;
  for (int i = 0; i < 4000; ++i) specs.push_back(spec(kTarget, static_cast<std::uint16_t>(i)));
  PingEngine e(cfg, specs, kKey, kT0);
  EXPECT_EQ(e.due(kT0).size(), 1u);
  EXPECT_EQ(e.next_wakeup(), kT0 + 50 * kNsPerUs);  // 200 ms / 4000 < 100 us
  EXPECT_EQ(e.due(kT0 + 100 * kMs).size(), 2000u);  // targets 1 to 2000
  EXPECT_EQ(e.due(kT0 + 200 * kMs).size(), 2000u);  // 2001 to 3999, and target 0 again
}

// A group target (multicast, broadcast with -b): every member answers from its own address.
// The first answer counts; the others are duplicates that name their senders, as ping's DUP!.
TEST(EngineSchedule, GroupTargetCountsTheFirstAnswerAndTheRestAreDuplicates) {
  PingConfig cfg;
  cfg.count = 1;
  TargetSpec group = spec(ip("198.18.200.255"), 7);
  group.group = true;
  PingEngine e(cfg, {group}, kKey, kT0);
  auto o = send_due(e, kT0);
  std::vector<ProbeEvent> got;
  for (const char* m : {"198.18.200.2", "198.18.200.3", "198.18.200.4"}) {
    auto evs = e.on_packet(raw4(echo_reply4(o[0], ip(m)), kT0 + kMs));
    ASSERT_EQ(evs.size(), 1u) << m;
    got.push_back(evs[0]);
  }
  EXPECT_FALSE(got[0].duplicate);
  EXPECT_TRUE(got[1].duplicate && got[2].duplicate);
  EXPECT_EQ(got[2].from, ip("198.18.200.4"));
  auto s = e.summary(0, kT0 + kSec);
  EXPECT_EQ(s.received, 1u);
  EXPECT_EQ(s.duplicates, 2u);
  // An ordinary target still takes answers from its own address only.
  PingEngine u(cfg, {spec(kTarget, 7)}, kKey, kT0);
  o = send_due(u, kT0);
  EXPECT_TRUE(u.on_packet(raw4(echo_reply4(o[0], kTarget2), kT0 + kMs)).empty());
  EXPECT_EQ(u.summary(0, kT0 + kSec).received, 0u);
}

// A stamp outside its probe's send call is not its TX time: another probe's (a shifted id)
// would make the RTT negative. It is dropped, counted, and the user time counts.
TEST(EngineRtt, ForeignTxStampIsDroppedNeverNegative) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = e.due(kT0);
  e.sent(0, 1, kT0, kT0 + 10 * kNsPerUs);
  e.tx_stamp(0, 1, kT0 + 30 * kNsPerUs);  // a later send's stamp, after the reply
  auto evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 20 * kNsPerUs, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].rtt, 20 * kNsPerUs);
  EXPECT_EQ(evs[0].tx_source, StampSource::user);
  EXPECT_EQ(evs[0].tx_drop, model::StampDrop::tx_after_send);
  auto s = e.summary(0, kT0 + kSec);
  EXPECT_EQ(s.rtt_min, 20 * kNsPerUs);
  EXPECT_EQ(s.stamps_dropped, 1u);
  EXPECT_FALSE(s.all_kernel_stamps);
}

// The case: the probe waited for ARP before it left. Its RTT counts from the send (the
// user waited), and lateness is judged on the same clock: 1.5 s of ARP within a 2 s wait is
// an answer, not "time=0.063 ms (LATE)".
TEST(EngineRtt, ProbeHeldForArpIsAnsweredWithTheWaitInItsRtt) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = e.due(kT0);
  e.sent(0, 1, kT0, kT0 + 10 * kNsPerUs);
  e.tx_stamp(0, 1, kT0 + 1500 * kMs);  // left when the neighbour answered
  EXPECT_TRUE(e.expire(kT0 + 1900 * kMs).empty());
  auto evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 1500 * kMs + 63 * kNsPerUs, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_FALSE(evs[0].late);
  EXPECT_EQ(evs[0].rtt, 1500 * kMs + 63 * kNsPerUs);
  EXPECT_EQ(e.summary(0, kT0 + 2 * kSec).received, 1u);

  // Held longer than the wait: lost at 2 s after the send, and the answer is late with the
  // RTT that made it late (never a sub-millisecond RTT marked LATE).
  PingEngine l(cfg, {spec(kTarget, 7)}, kKey, kT0);
  o1 = l.due(kT0);
  l.sent(0, 1, kT0, kT0 + 10 * kNsPerUs);
  l.tx_stamp(0, 1, kT0 + 2100 * kMs);
  EXPECT_EQ(l.expire(kT0 + 2 * kSec).size(), 1u);
  evs = l.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 2100 * kMs + 63 * kNsPerUs, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_TRUE(evs[0].late);
  EXPECT_GT(*evs[0].rtt, cfg.wait);
}

// An answer read after the expiry ran, but stamped within the wait, is an answer.
TEST(EngineRtt, AnswerStampedInTimeButReadLateCounts) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = e.due(kT0);
  e.sent(0, 1, kT0, kT0 + 10 * kNsPerUs);
  EXPECT_EQ(e.expire(kT0 + 2 * kSec + kMs).size(), 1u);
  Buffer reply = echo_reply4(o1[0], kTarget);
  auto in = raw4(reply, kT0 + 1999 * kMs, true);
  in.user_rx = kT0 + 2 * kSec + 2 * kMs;
  auto evs = e.on_packet(in);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_FALSE(evs[0].late);
  EXPECT_EQ(e.summary(0, kT0 + 3 * kSec).received, 1u);
}

// "Destination Host Unreachable" comes when the router gives up on ARP, 3 s after the probe:
// an error however late, and the run waits for it (error_wait), never a "late reply".
TEST(EngineRtt, LateIcmpErrorIsAnErrorAndTheRunWaitsForIt) {
  PingConfig cfg;
  cfg.count = 1;
  cfg.error_wait = 3500 * kMs;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = e.due(kT0);
  e.sent(0, 1, kT0, kT0 + 10 * kNsPerUs);
  EXPECT_EQ(e.expire(kT0 + 2 * kSec).size(), 1u);
  EXPECT_FALSE(e.done(kT0 + 2 * kSec));
  EXPECT_EQ(e.next_wakeup(), kT0 + 3500 * kMs);
  auto quoted = ipv4(kUs, kTarget, packet::kProtoIcmp, o1[0].bytes);
  auto err = ipv4(ip("198.18.1.254"), kUs, packet::kProtoIcmp, test::icmp_error(Family::v4, 3, 1, quoted));
  auto evs = e.on_packet(raw4(err, kT0 + 3 * kSec, true));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, EventType::icmp_error);
  EXPECT_FALSE(evs[0].late);
  auto s = e.summary(0, kT0 + 3 * kSec);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.late, 0u);
  EXPECT_TRUE(e.done(kT0 + 3 * kSec));

  // Without an error the run ends at error_wait.
  PingEngine q(cfg, {spec(kTarget, 7)}, kKey, kT0);
  q.due(kT0);
  q.sent(0, 1, kT0, kT0);
  q.expire(kT0 + 2 * kSec);
  EXPECT_FALSE(q.done(kT0 + 3 * kSec));
  q.expire(kT0 + 3500 * kMs);
  EXPECT_TRUE(q.done(kT0 + 3500 * kMs));
}

struct StatsCase {
  const char* name;
  std::vector<double> rtts_ms;
};

class EngineStats : public ::testing::TestWithParam<StatsCase> {};

TEST_P(EngineStats, MinAvgMaxMdevAsPing) {
  const auto& c = GetParam();
  PingConfig cfg;
  cfg.count = static_cast<std::int64_t>(c.rtts_ms.size());
  cfg.wait = 5 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  Sim sim(e, {});
  for (std::size_t i = 0; i < c.rtts_ms.size(); ++i)
    sim.delay[{0, static_cast<std::uint32_t>(i + 1)}] = static_cast<TimeNs>(std::llround(c.rtts_ms[i] * 1e6));
  sim.run(kT0 + 60 * kSec, kNsPerUs * 100);
  auto s = e.summary(0, kT0 + 60 * kSec);
  ASSERT_EQ(s.received, c.rtts_ms.size());
  // Reference: two-pass population standard deviation over the RTTs rounded to the 100 us step.
  std::vector<double> ns;
  for (double r : c.rtts_ms) ns.push_back(static_cast<double>(std::llround(r * 1e6)));
  double mn = *std::min_element(ns.begin(), ns.end()), mx = *std::max_element(ns.begin(), ns.end());
  double mean = 0;
  for (double x : ns) mean += x;
  mean /= static_cast<double>(ns.size());
  double var = 0;
  for (double x : ns) var += (x - mean) * (x - mean);
  var /= static_cast<double>(ns.size());
  EXPECT_EQ(s.rtt_min, static_cast<TimeNs>(mn));
  EXPECT_EQ(s.rtt_max, static_cast<TimeNs>(mx));
  EXPECT_NEAR(s.rtt_avg, mean, 1.0);
  EXPECT_NEAR(s.rtt_mdev, std::sqrt(var), 1.0);
}

INSTANTIATE_TEST_SUITE_P(
    Rtts, EngineStats,
    ::testing::Values(StatsCase{"one", {10.0}}, StatsCase{"equal", {5.0, 5.0, 5.0}},
                      StatsCase{"ten_to_forty", {10.0, 20.0, 30.0, 40.0}},  // avg 25, mdev sqrt(125)
                      StatsCase{"descending", {40.0, 30.0, 20.0, 10.0}}, StatsCase{"two", {1.0, 3.0}},
                      StatsCase{"spread", {0.1, 1500.0, 2.3, 700.0, 0.4}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EngineStatsKnown, TenToFortyMs) {
  // The same numbers with their values written out: avg 25 ms, mdev sqrt(750 - 625) ms.
  PingConfig cfg;
  cfg.count = 4;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  Sim sim(e, {{{0, 1}, 10 * kMs}, {{0, 2}, 20 * kMs}, {{0, 3}, 30 * kMs}, {{0, 4}, 40 * kMs}});
  sim.run(kT0 + 10 * kSec);
  auto s = e.summary(0, kT0 + 10 * kSec);
  EXPECT_EQ(s.rtt_min, 10 * kMs);
  EXPECT_EQ(s.rtt_max, 40 * kMs);
  EXPECT_DOUBLE_EQ(s.rtt_avg, 25e6);
  EXPECT_NEAR(s.rtt_mdev, 11'180'339.887, 1.0);
  EXPECT_EQ(s.elapsed, 3 * kSec + 40 * kMs);  // from start to the last answer
  EXPECT_EQ(sim.ended, kT0 + 3 * kSec + 40 * kMs);
}

// --- loss, late, duplicates -----------------------------------------------------------------

TEST(EngineLoss, SomeAnsweredSomeExpire) {
  PingConfig cfg;
  cfg.count = 5;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  Sim sim(e, {{{0, 1}, 10 * kMs}, {{0, 3}, 11 * kMs}, {{0, 5}, 12 * kMs}});
  sim.run(kT0 + 30 * kSec);
  std::vector<std::uint32_t> replies, timeouts;
  for (const auto& ev : sim.events) {
    if (ev.type == EventType::reply) replies.push_back(ev.seq);
    if (ev.type == EventType::timeout) {
      timeouts.push_back(ev.seq);
      EXPECT_EQ(ev.when, (sim.sent_at[{0, ev.seq}] + 2 * kSec));
      EXPECT_FALSE(ev.rtt);
    }
  }
  EXPECT_EQ(replies, (std::vector<std::uint32_t>{1, 3, 5}));
  EXPECT_EQ(timeouts, (std::vector<std::uint32_t>{2, 4}));
  auto s = e.summary(0, kT0 + 30 * kSec);
  EXPECT_EQ(s.transmitted, 5u);
  EXPECT_EQ(s.received, 3u);
  EXPECT_EQ(s.received + timeouts.size(), s.transmitted);
  EXPECT_EQ(s.late, 0u);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(sim.ended, kT0 + 5 * kSec);  // seq 4 (sent at 3 s) expires last
}

TEST(EngineLoss, LateReplyIsMarkedAndNotCounted) {
  PingConfig cfg;
  cfg.count = 2;
  cfg.wait = 2 * kSec;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = send_due(e, kT0);
  auto t = e.expire(kT0 + 2 * kSec);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].type, EventType::timeout);
  auto evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 2500 * kMs));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, EventType::reply);
  EXPECT_TRUE(evs[0].late);
  EXPECT_FALSE(evs[0].duplicate);
  EXPECT_EQ(evs[0].rtt, 2500 * kMs);
  auto s = e.summary(0, kT0 + 3 * kSec);
  EXPECT_EQ(s.received, 0u);
  EXPECT_EQ(s.late, 1u);
  EXPECT_EQ(s.transmitted, 1u);
  // A second late copy stays late, never received.
  evs = e.on_packet(raw4(echo_reply4(o1[0], kTarget), kT0 + 2600 * kMs));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_TRUE(evs[0].late);
  EXPECT_EQ(e.summary(0, kT0 + 3 * kSec).received, 0u);
}

TEST(EngineLoss, DuplicatesCountedOnceNeverReceivedTwice) {
  PingConfig cfg;
  cfg.count = 1;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto o1 = send_due(e, kT0);
  auto pkt = echo_reply4(o1[0], kTarget);
  auto a = e.on_packet(raw4(pkt, kT0 + 10 * kMs));
  auto b = e.on_packet(raw4(pkt, kT0 + 11 * kMs));
  auto c = e.on_packet(raw4(pkt, kT0 + 12 * kMs));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(a[0].duplicate);
  EXPECT_TRUE(b[0].duplicate);
  EXPECT_TRUE(c[0].duplicate);
  EXPECT_EQ(b[0].rtt, 11 * kMs);
  auto s = e.summary(0, kT0 + kSec);
  EXPECT_EQ(s.received, 1u);
  EXPECT_EQ(s.duplicates, 2u);
  EXPECT_EQ(s.transmitted, 1u);
  // Duplicates do not move the RTT statistics.
  EXPECT_EQ(s.rtt_min, 10 * kMs);
  EXPECT_EQ(s.rtt_max, 10 * kMs);
  EXPECT_DOUBLE_EQ(s.rtt_avg, 10e6);
  // Nor expire the probe afterwards.
  EXPECT_TRUE(e.expire(kT0 + 10 * kSec).empty());
}

TEST(EngineLoss, SendFailedIsTransmittedLostAndAnError) {
  PingConfig cfg;
  cfg.count = 2;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  auto out = e.due(kT0);
  ASSERT_EQ(out.size(), 1u);
  auto ev = e.send_failed(0, out[0].seq, kT0 + 1, "Network is unreachable");
  EXPECT_EQ(ev.type, EventType::send_error);
  EXPECT_EQ(ev.seq, 1u);
  EXPECT_EQ(ev.when, kT0 + 1);
  EXPECT_EQ(ev.error, "Network is unreachable");
  auto s = e.summary(0, kT0 + kSec);
  EXPECT_EQ(s.transmitted, 1u);
  EXPECT_EQ(s.received, 0u);
  EXPECT_EQ(s.errors, 1u);
  // Nothing outstanding for it: no timeout later, and the next probe still goes out.
  EXPECT_TRUE(e.expire(kT0 + 10 * kSec).empty());
  EXPECT_EQ(seqs(send_due(e, kT0 + kSec)), (std::vector<std::uint32_t>{2}));
}

TEST(EngineLoss, SummaryElapsedStopsAtNow) {
  PingConfig cfg;
  cfg.count = 3;
  PingEngine e(cfg, {spec(kTarget, 7)}, kKey, kT0);
  send_due(e, kT0);
  send_due(e, kT0 + kSec);
  EXPECT_EQ(e.summary(0, kT0 + kSec).elapsed, kSec);
  EXPECT_EQ(e.summary(0, kT0 + 500 * kMs).elapsed, 500 * kMs);
  EXPECT_EQ(e.summary(0, kT0 + 9 * kSec).elapsed, kSec);  // last activity
}

}  // namespace
}  // namespace reach::engine
