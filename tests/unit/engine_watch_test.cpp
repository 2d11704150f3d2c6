// watch's engines on a fake clock: the scheduler (spread, reload without gaps, no bursts),
// round statistics, alert damping with flap detection, and ICMP echo rounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/watch_alerts.hpp"
#include "engine/watch_icmp.hpp"
#include "engine/watch_schedule.hpp"
#include "engine/watch_stats.hpp"
#include "packet/icmp.hpp"
#include "packets.hpp"

namespace reach::engine {
namespace {

using model::TargetState;
using model::WatchEvent;
using test::ip;

constexpr TimeNs S = kNsPerSec, MS = kNsPerMs;

RxTimes at(TimeNs t) { return RxTimes{t, std::nullopt, std::nullopt}; }    // user-space time only
RxTimes kat(TimeNs t) { return RxTimes{t + 7, t, std::nullopt}; }          // a kernel stamp, read later

TEST(WatchScheduler, SpreadsTargetsOverTheIntervalAndKeepsTheirRhythm) {
  WatchScheduler s;
  for (std::uint32_t id = 0; id < 1000; ++id) s.upsert(id, S, id * 7919, 0);
  std::vector<int> per_tenth(10);
  std::vector<int> rounds(1000);
  for (TimeNs t = 0; t <= 10 * S; t += 10 * MS)
    for (auto id : s.due(t)) {
      ++rounds[id];
      if (t < S) ++per_tenth[t / (S / 10)];
    }
  for (int n : per_tenth) EXPECT_GT(n, 50) << "targets bunch up instead of spreading";
  for (int n : rounds) EXPECT_TRUE(n == 10 || n == 11) << n;
}

TEST(WatchScheduler, ReloadWithTheSameIntervalKeepsTheNextRound) {
  WatchScheduler s;
  s.upsert(1, S, 42, 0);
  auto first = *s.next_due();
  s.upsert(1, S, 42, first - 1);  // a reload just before the round
  EXPECT_EQ(*s.next_due(), first);
  EXPECT_EQ(s.due(first), std::vector<std::uint32_t>{1});
  EXPECT_EQ(*s.next_due(), first + S);
}

TEST(WatchScheduler, ShorterIntervalTakesEffectWithinOneNewInterval) {
  WatchScheduler s;
  s.upsert(1, 60 * S, 0, 0);
  auto t0 = *s.next_due();
  s.due(t0);  // next at t0 + 60 s
  s.upsert(1, S, 0, t0 + S / 2);
  EXPECT_LE(*s.next_due(), t0 + S / 2 + S);
  s.remove(1);
  EXPECT_FALSE(s.next_due());
  EXPECT_TRUE(s.due(t0 + 100 * S).empty());
}

TEST(WatchScheduler, AStalledLoopSkipsMissedRoundsInsteadOfBursting) {
  WatchScheduler s;
  s.upsert(1, S, 0, 0);
  auto t0 = *s.next_due();
  EXPECT_EQ(s.due(t0 + 10 * S + 1).size(), 1u);
  EXPECT_TRUE(s.due(t0 + 10 * S + 2).empty());
  EXPECT_GT(*s.next_due(), t0 + 10 * S);
}

TEST(WatchStats, RoundStatistics) {
  struct Case {
    std::vector<TimeNs> rtts;
    int sent;
    double loss;
    TimeNs min, median, max, stddev;
  } cases[] = {
      {{}, 5, 1.0, 0, 0, 0, 0},
      {{}, 0, 1.0, 0, 0, 0, 0},
      {{10}, 1, 0.0, 10, 10, 10, 0},
      {{10, 20}, 4, 0.5, 10, 15, 20, 5},
      {{1, 2, 3, 4, 100}, 5, 0.0, 1, 3, 100, 39},
  };
  for (const auto& c : cases) {
    RoundStats s = round_stats(c.rtts, c.sent);
    EXPECT_DOUBLE_EQ(s.loss, c.loss);
    EXPECT_EQ(s.min, c.min);
    EXPECT_EQ(s.median, c.median);
    EXPECT_EQ(s.max, c.max);
    EXPECT_EQ(s.stddev, c.stddev);
  }
  EXPECT_EQ(*percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9), 9);
  EXPECT_EQ(*percentile({1, 2, 3}, 0), 1);
  EXPECT_FALSE(percentile({}, 0.5));
}

TEST(WatchStats, RollingWindowForgetsOldRounds) {
  RollingWindow w(3);
  model::RoundResult r;
  r.sent = 2;
  r.received = 0;
  w.add(r);
  r.received = 2;
  r.rtts = {10, 30};
  for (int i = 0; i < 3; ++i) w.add(r);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_DOUBLE_EQ(w.loss(), 0.0);
  EXPECT_EQ(*w.median_of_medians(), 20);
  EXPECT_EQ(*w.max_rtt(), 30);
}

std::vector<WatchEvent::Kind> kinds(const std::vector<WatchEvent>& ev) {
  std::vector<WatchEvent::Kind> k;
  for (const auto& e : ev) k.push_back(e.kind);
  return k;
}

struct Feed {
  AlertRule rule;
  AlertState st;
  TimeNs t = 0;
  std::vector<WatchEvent> all;
  std::vector<WatchEvent> round(bool ok, bool maintenance = false) {
    t += S;
    auto ev = on_round(st, rule, "web1", ok, ok ? "" : "timed out", t, maintenance);
    all.insert(all.end(), ev.begin(), ev.end());
    return ev;
  }
  int count(WatchEvent::Kind k) const {
    int n = 0;
    for (const auto& e : all) n += e.kind == k;
    return n;
  }
};

TEST(WatchAlerts, FiresAfterConsecutiveFailuresAndResolvesAfterSuccesses) {
  Feed f;
  f.rule.name = "down";
  f.round(true);
  f.round(true);
  EXPECT_EQ(f.st.state, TargetState::up);
  EXPECT_TRUE(f.round(false).empty());
  EXPECT_TRUE(f.round(false).empty());
  auto ev = f.round(false);
  ASSERT_EQ(kinds(ev), (std::vector{WatchEvent::Kind::state_change, WatchEvent::Kind::firing}));
  EXPECT_EQ(ev[1].alert, "down");
  EXPECT_EQ(ev[1].reason, "timed out");
  EXPECT_EQ(ev[1].since_wall, f.t);
  const TimeNs fired = f.t;
  EXPECT_TRUE(f.round(false).empty());
  EXPECT_TRUE(f.round(true).empty());
  ev = f.round(true);
  ASSERT_EQ(kinds(ev), (std::vector{WatchEvent::Kind::state_change, WatchEvent::Kind::resolved}));
  // The resolved alert keeps the start it fired with (receivers take endsAt - startsAt as the
  // outage: it was 0 s when startsAt followed the state back up).
  EXPECT_EQ(ev[1].since_wall, fired);
  EXPECT_EQ(ev[1].wall - ev[1].since_wall, 3 * S);
  EXPECT_EQ(f.st.alert_since, 0);
  EXPECT_EQ(f.count(WatchEvent::Kind::firing), 1);
}

TEST(WatchAlerts, ATargetDownFromTheStartFires) {
  Feed f;
  f.rule.failures = 2;
  f.round(false);
  f.round(false);
  EXPECT_EQ(f.count(WatchEvent::Kind::firing), 1);
  EXPECT_EQ(f.all.front().from, TargetState::unknown);
}

TEST(WatchAlerts, FlappingForTwoMinutesGivesAtMostOnePair) {
  for (int failures : {1, 2, 3}) {
    Feed f;
    f.rule.failures = failures;
    f.rule.successes = 1;
    for (int i = 0; i < 30; ++i) f.round(true);
    for (int i = 0; i < 120; ++i) f.round(i % 2 == 1);
    for (int i = 0; i < 60; ++i) f.round(true);
    EXPECT_LE(f.count(WatchEvent::Kind::firing), 1) << failures;
    EXPECT_EQ(f.count(WatchEvent::Kind::firing), f.count(WatchEvent::Kind::resolved)) << failures;
    EXPECT_FALSE(f.st.flapping);
    EXPECT_FALSE(f.st.firing);
  }
}

TEST(WatchAlerts, PercentStateChangeWeighsRecentChangesMore) {
  AlertState newest, oldest;
  // 21 results (bit 0 the newest) with one change: between the two newest, or the two oldest.
  newest.results = 0x1ffffeu;
  newest.results_len = 21;
  oldest.results = 0x0fffffu;
  oldest.results_len = 21;
  EXPECT_NEAR(percent_state_change(newest, 21), 100.0 * 1.2 / 20, 1e-9);
  EXPECT_NEAR(percent_state_change(oldest, 21), 100.0 * 0.8 / 20, 1e-9);
  AlertState alternate;
  alternate.results = 0x155555u;
  alternate.results_len = 21;
  EXPECT_NEAR(percent_state_change(alternate, 21), 100.0, 1e-9);
}

TEST(WatchAlerts, OneLostRoundAfterStartIsNoFlap) {
  Feed f;
  f.rule.failures = 1;
  f.round(true);
  f.round(false);
  f.round(true);
  EXPECT_FALSE(f.st.flapping);
  EXPECT_EQ(f.count(WatchEvent::Kind::flapping), 0);
}

TEST(WatchAlerts, RemindersRepeatWhileFiring) {
  Feed f;
  f.rule.failures = 1;
  f.rule.reminder = 10 * S;
  for (int i = 0; i < 25; ++i) f.round(false);
  EXPECT_EQ(f.count(WatchEvent::Kind::firing), 1);
  EXPECT_EQ(f.count(WatchEvent::Kind::reminder), 2);
}

TEST(WatchAlerts, MaintenanceHoldsNotificationsAndReconcilesAfter) {
  Feed f;
  f.rule.failures = 1;
  f.rule.successes = 1;
  f.round(true);
  f.round(false, true);
  f.round(true, true);
  f.round(true);
  EXPECT_EQ(f.count(WatchEvent::Kind::firing), 0);
  EXPECT_EQ(f.count(WatchEvent::Kind::state_change), 3);  // recorded, not notified
  f.round(false, true);
  f.round(false);
  EXPECT_EQ(f.count(WatchEvent::Kind::firing), 1);
}

// ICMP echo rounds ------------------------------------------------------------------------

struct EchoLab {
  EchoRounds e{0x1234, 0x5a5a};
  IpAddr dst = ip("198.18.1.2");
  // Answers an echo as the target would: same id/seq/payload, type echo reply.
  packet::Buffer reply_to(const EchoOut& o) {
    packet::Buffer r = o.bytes;
    r[0] = packet::kIcmp4EchoReply;
    return r;
  }
};

TEST(WatchEcho, ARoundOfFiveSpacedEchoes) {
  EchoLab L;
  EchoRoundSpec spec{L.dst, 5, 100 * MS, S, 56};
  L.e.start(7, spec, 0);
  std::vector<EchoOut> sent;
  for (TimeNs t = 0; t <= 400 * MS; t += 100 * MS) {
    auto out = L.e.due(t);
    ASSERT_EQ(out.size(), 1u) << t;
    L.e.sent(out[0].probe, t, t);
    sent.push_back(out[0]);
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (i == 2) continue;  // lost
    EXPECT_TRUE(L.e.on_reply(Family::v4, L.reply_to(sent[i]), L.dst, at(i * 100 * MS + 10 * MS + TimeNs(i)), 61));
  }
  EXPECT_TRUE(L.e.finished(S).empty());
  auto done = L.e.finished(200 * MS + S);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].target, 7u);
  EXPECT_EQ(done[0].sent, 5);
  EXPECT_EQ(done[0].received, 4);
  EXPECT_EQ(done[0].reply_ttl, 61);
  EXPECT_EQ(done[0].rtts, (std::vector<TimeNs>{10 * MS, 10 * MS + 1, 10 * MS + 3, 10 * MS + 4}));
  EXPECT_EQ(L.e.outstanding(), 0u);
}

TEST(WatchEcho, ForgedAndForeignRepliesAreIgnored) {
  EchoLab L;
  L.e.start(1, EchoRoundSpec{L.dst, 1, 0, S, 56}, 0);
  auto out = L.e.due(0);
  L.e.sent(out[0].probe, 0, 0);
  auto r = L.reply_to(out[0]);
  EXPECT_FALSE(L.e.on_reply(Family::v4, r, ip("198.18.9.9"), at(MS), 64));  // other sender
  auto bad = r;
  bad[9] ^= 1;  // cookie
  EXPECT_FALSE(L.e.on_reply(Family::v4, bad, L.dst, at(MS), 64));
  EXPECT_FALSE(L.e.on_reply(Family::v4, packet::Buffer(r.begin(), r.begin() + 6), L.dst, at(MS), 64));
  EXPECT_TRUE(L.e.on_reply(Family::v4, r, L.dst, at(MS), 64));
  EXPECT_FALSE(L.e.on_reply(Family::v4, r, L.dst, at(MS), 64));  // duplicate
  EXPECT_EQ(L.e.ignored(), 4u);
  auto done = L.e.finished(MS);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].received, 1);
}

TEST(WatchEcho, KernelStampsAreUsedOnlyWhenTheyAgree) {
  EchoLab L;
  L.e.start(1, EchoRoundSpec{L.dst, 2, 0, S, 56}, 0);
  auto out = L.e.due(0);
  ASSERT_EQ(out.size(), 2u);
  L.e.sent(out[0].probe, 85, 95);
  L.e.sent(out[1].probe, 200, 210);
  L.e.tx_stamp(out[0].probe, 90);    // inside its send call: the origin
  L.e.tx_stamp(out[1].probe, 5000);  // later than the reply: not this probe's
  L.e.on_reply(Family::v4, L.reply_to(out[0]), L.dst, kat(1090), 64);
  L.e.on_reply(Family::v4, L.reply_to(out[1]), L.dst, kat(1200), 64);
  auto done = L.e.finished(2000);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].rtts, (std::vector<TimeNs>{1000, 1000}));
  EXPECT_EQ(done[0].stamps_dropped, 1);
}

TEST(WatchEcho, AnIcmpErrorEndsTheEchoWithTheRoutersName) {
  EchoLab L;
  L.e.start(1, EchoRoundSpec{L.dst, 1, 0, S, 56}, 0);
  auto out = L.e.due(0);
  L.e.sent(out[0].probe, 0, 0);
  EXPECT_TRUE(L.e.on_error(Family::v4, 3, 1, out[0].bytes, &L.dst, ip("198.18.0.1")));
  auto done = L.e.finished(MS);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].received, 0);
  EXPECT_EQ(done[0].errors, 1);
  EXPECT_NE(done[0].error.find("198.18.0.1"), std::string::npos);
}

TEST(WatchEcho, RoundsOfOneTargetOverlapAndFinishOnTheirOwn) {
  EchoLab L;
  EchoRoundSpec spec{L.dst, 2, 400 * MS, S, 56};
  L.e.start(1, spec, 0);
  auto a = L.e.due(0);
  L.e.sent(a[0].probe, 0, 0);
  L.e.start(1, spec, 500 * MS);  // next round while the first still waits for its 2nd echo
  auto b = L.e.due(500 * MS);     // round 1's 2nd echo (at 400 ms) and round 2's 1st
  ASSERT_EQ(b.size(), 2u);
  for (auto& o : b) L.e.sent(o.probe, 500 * MS, 500 * MS);
  for (auto& o : b) EXPECT_TRUE(L.e.on_reply(Family::v4, L.reply_to(o), L.dst, at(510 * MS), 64));
  EXPECT_TRUE(L.e.on_reply(Family::v4, L.reply_to(a[0]), L.dst, at(520 * MS), 64));
  auto done = L.e.finished(520 * MS);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].received, 2);
  auto c = L.e.due(900 * MS);
  ASSERT_EQ(c.size(), 1u);
  L.e.sent(c[0].probe, 900 * MS, 900 * MS);
  done = L.e.finished(900 * MS + S);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].sent, 2);
  EXPECT_EQ(done[0].received, 1);
}

TEST(WatchEcho, AnAnsweredEchoNoLongerWakesTheLoopAtItsDeadline) {
  EchoLab L;
  L.e.start(1, EchoRoundSpec{L.dst, 1, 0, S, 56}, 0);
  L.e.start(2, EchoRoundSpec{L.dst, 1, 0, S, 56}, 300 * MS);
  auto a = L.e.due(0);
  L.e.sent(a[0].probe, 0, 0);
  auto b = L.e.due(300 * MS);
  L.e.sent(b[0].probe, 300 * MS, 300 * MS);
  ASSERT_TRUE(L.e.on_reply(Family::v4, L.reply_to(a[0]), L.dst, at(310 * MS), 64));
  EXPECT_EQ(L.e.finished(310 * MS).size(), 1u);
  EXPECT_EQ(L.e.next_wakeup(), 300 * MS + S);  // the unanswered echo's deadline, not the first's
  ASSERT_TRUE(L.e.on_reply(Family::v4, L.reply_to(b[0]), L.dst, at(320 * MS), 64));
  EXPECT_EQ(L.e.finished(320 * MS).size(), 1u);
  EXPECT_FALSE(L.e.next_wakeup());  // nothing left to wait for
}

TEST(WatchEcho, ABurstGoesOutInBoundedBatchesInSendOrder) {
  EchoLab L;
  for (std::uint32_t t = 0; t < 600; ++t) L.e.start(t, EchoRoundSpec{L.dst, 1, 0, S, 56}, 0);
  std::vector<std::uint32_t> order;
  for (std::size_t batch : {256u, 256u, 88u, 0u}) {
    auto out = L.e.due(MS, 256);
    ASSERT_EQ(out.size(), batch);
    for (const auto& o : out) {
      order.push_back(o.probe);
      L.e.sent(o.probe, 2 * MS, 2 * MS);
    }
    if (batch == 256) {
      EXPECT_LE(*L.e.next_wakeup(), MS) << "the rest is still due";
    }
  }
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(L.e.outstanding(), 600u);
}

TEST(WatchEcho, DatagramSocketsMatchBySequenceAlone) {
  EchoLab L;
  L.e.set_kernel_ident(true);
  L.e.start(1, EchoRoundSpec{L.dst, 3, 0, S, 56}, 0);
  auto out = L.e.due(0);
  for (auto& o : out) L.e.sent(o.probe, 0, 0);
  for (auto& o : out) {
    auto r = L.reply_to(o);
    r[4] = 0x12;  // the kernel's identifier, not ours
    r[5] = 0x34;
    EXPECT_TRUE(L.e.on_reply(Family::v4, r, L.dst, at(MS), 64));
  }
  auto done = L.e.finished(MS);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].received, 3);
}

TEST(WatchEcho, ManyTargetsWithDistinctIdentifiers) {
  EchoLab L;
  std::set<std::pair<std::uint16_t, std::uint16_t>> ids;
  for (std::uint32_t t = 0; t < 20000; ++t) L.e.start(t, EchoRoundSpec{L.dst, 5, 0, S, 56}, 0);
  auto out = L.e.due(0);
  ASSERT_EQ(out.size(), 100000u);
  for (const auto& o : out) {
    auto m = packet::parse_icmp(o.bytes);
    ids.insert({m->ident, m->seq});
    L.e.sent(o.probe, 0, 0);
  }
  EXPECT_EQ(ids.size(), 100000u);
  EXPECT_EQ(L.e.finished(S).size(), 20000u);
  EXPECT_EQ(L.e.outstanding(), 0u);
}

}  // namespace
}  // namespace reach::engine
