// The watch store on temporary files: batched history, rollups, pruning, resolution choice,
// alert state, the outbox's delivery rules, a full disk, and the blob codecs.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/codec.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace reach::store {
namespace {

constexpr TimeNs kT0 = 1798149600LL * kNsPerSec;  // 2026-12-24T22:00:00Z, a whole hour

// The store's file in a fresh directory.
struct TempDb : test::TempDir {
  std::string db() const { return file("watch.db"); }
};

model::RoundResult round(const std::string& target, TimeNs start, bool ok, std::vector<TimeNs> rtts, int sent = 0) {
  model::RoundResult r;
  r.target = target;
  r.start_wall = start;
  r.success = ok;
  r.sent = sent ? sent : static_cast<int>(std::max<std::size_t>(rtts.size(), 1));
  r.received = static_cast<int>(rtts.size());
  r.rtts = std::move(rtts);
  if (!ok) r.reason = "timed out";
  return r;
}

std::unique_ptr<Store> open(const std::string& path, Options o = {}) {
  o.path = path;
  auto s = Store::open(o);
  EXPECT_TRUE(s) << s.error().message();
  return s ? std::move(*s) : nullptr;
}

TEST(StoreHistory, RawRoundsComeBackWithTheirRtts) {
  TempDb tmp;
  auto s = open(tmp.db());
  s->add_round(round("web1", kT0, true, {1000000, 1200000, 5000000}, 3));
  s->add_round(round("web1", kT0 + kNsPerSec, false, {}, 3));
  s->add_round(round("db1", kT0, true, {300000}));
  EXPECT_TRUE(s->history("web1", kT0, kT0 + kNsPerSec * 10, 100)->empty());  // not flushed yet
  auto st = s->flush(kT0 + 2 * kNsPerSec);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->written, 3u);
  auto h = s->history("web1", kT0, kT0 + 10 * kNsPerSec, 100);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].resolution, Resolution::raw);
  EXPECT_EQ((*h)[0].rtts, (std::vector<TimeNs>{1000000, 1200000, 5000000}));
  EXPECT_EQ((*h)[0].sent, 3u);
  EXPECT_EQ((*h)[0].received, 3u);
  EXPECT_EQ((*h)[0].median_mean, 1200000);
  EXPECT_EQ((*h)[0].quantile(0.5), 1200000);
  EXPECT_EQ((*h)[1].successes, 0u);
  EXPECT_EQ((*h)[1].reason, "timed out");
  EXPECT_TRUE(s->history("nobody", kT0, kT0 + kNsPerSec, 10)->empty());
  // A reopened store sees the same rounds.
  s.reset();
  s = open(tmp.db());
  EXPECT_EQ(s->history("web1", kT0, kT0 + 10 * kNsPerSec, 100)->size(), 2u);
}

TEST(StoreHistory, MinuteAndHourRollups) {
  TempDb tmp;
  Options o;
  o.rollup_budget = 1000;
  auto s = open(tmp.db(), o);
  // Two hours of one round every 10 s: RTT 1 ms, except 10 ms in the first minute of each
  // hour; every 6th round fails.
  for (int i = 0; i < 720; ++i) {
    TimeNs t = kT0 + i * 10 * kNsPerSec;
    bool ok = i % 6 != 5;
    TimeNs rtt = (i % 360) < 6 ? 10 * kNsPerMs : kNsPerMs;
    s->add_round(round("a", t, ok, ok ? std::vector<TimeNs>{rtt, rtt} : std::vector<TimeNs>{}, 2));
  }
  auto st = s->flush(kT0 + 2 * 3600 * kNsPerSec + 31 * kNsPerSec);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->rolled_minutes, 120u);
  EXPECT_EQ(st->rolled_hours, 2u);
  // 120 minutes asked in at most 150 points: raw (720 rows) would be > 4x, minutes fit.
  auto m = s->history("a", kT0, kT0 + 7200 * kNsPerSec, 150);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 120u);
  EXPECT_EQ((*m)[0].resolution, Resolution::minute);
  EXPECT_EQ((*m)[0].count, 6u);
  EXPECT_EQ((*m)[0].successes, 5u);
  EXPECT_EQ((*m)[0].sent, 12u);
  EXPECT_EQ((*m)[0].received, 10u);
  EXPECT_EQ((*m)[0].rtt_min, 10 * kNsPerMs);
  EXPECT_EQ((*m)[1].rtt_max, kNsPerMs);
  // Two points for two hours: hour rollups.
  auto hr = s->history("a", kT0, kT0 + 7200 * kNsPerSec, 2);
  ASSERT_TRUE(hr);
  ASSERT_EQ(hr->size(), 2u);
  EXPECT_EQ((*hr)[0].resolution, Resolution::hour);
  EXPECT_EQ((*hr)[0].count, 360u);
  EXPECT_EQ((*hr)[0].successes, 300u);
  EXPECT_EQ((*hr)[0].rtt_min, kNsPerMs);
  EXPECT_EQ((*hr)[0].rtt_max, 10 * kNsPerMs);
  // 10 of 600 RTTs are 10 ms: the median is in 1 ms's bucket, p99 in 10 ms's.
  EXPECT_NEAR(static_cast<double>((*hr)[0].quantile(0.5)), 1e6, 0.13e6);
  EXPECT_NEAR(static_cast<double>((*hr)[0].quantile(0.995)), 1e7, 1.3e6);
  // Rounds arriving after their minute was rolled up are counted as late.
  s->add_round(round("a", kT0 + 5 * kNsPerSec, true, {kNsPerMs}));
  EXPECT_EQ(s->flush(kT0 + 7300 * kNsPerSec)->late, 1u);
}

TEST(StoreHistory, AFinestResolutionKeepsALongGraphOffTheRawRounds) {
  TempDb tmp;
  Options o;
  o.rollup_budget = 1000;
  auto s = open(tmp.db(), o);
  for (int i = 0; i < 720; ++i) s->add_round(round("a", kT0 + i * 10 * kNsPerSec, true, {kNsPerMs}));
  ASSERT_TRUE(s->flush(kT0 + 2 * 3600 * kNsPerSec + 31 * kNsPerSec));
  // 360 days back from the end: nothing covers that far, so the finest with data (raw) was read.
  const TimeNs end = kT0 + 7200 * kNsPerSec, from = end - 360LL * 86400 * kNsPerSec;
  auto any = s->history("a", from, end, 400);
  ASSERT_TRUE(any && !any->empty());
  EXPECT_EQ(any->front().resolution, Resolution::raw);
  auto hours = s->history("a", from, end, 400, Resolution::hour);
  ASSERT_TRUE(hours);
  ASSERT_EQ(hours->size(), 2u);
  EXPECT_EQ(hours->front().resolution, Resolution::hour);
  EXPECT_EQ(hours->front().count + hours->back().count, 720u);
  // A target younger than the finest resolution asked still shows its rounds.
  s->add_round(round("young", end, true, {kNsPerMs}));
  ASSERT_TRUE(s->flush(end + kNsPerSec));
  auto young = s->history("young", from, end + kNsPerSec, 400, Resolution::hour);
  ASSERT_TRUE(young);
  ASSERT_EQ(young->size(), 1u);
  EXPECT_EQ(young->front().resolution, Resolution::raw);
}

TEST(StoreHistory, ADowntimeGapIsSkippedNotWalked) {
  TempDb tmp;
  Options o;
  o.rollup_budget = 5;
  auto s = open(tmp.db(), o);
  TimeNs later = kT0 + 10 * 3600 * kNsPerSec;  // the daemon was down for 10 hours
  s->add_round(round("a", kT0, true, {kNsPerMs}));
  s->add_round(round("a", later, true, {2 * kNsPerMs}));
  std::size_t steps = 0;
  for (int i = 0; i < 4; ++i) steps += s->flush(later + 2 * 60 * kNsPerSec)->rolled_minutes;
  EXPECT_LE(steps, 4u);  // minute 0, the gap jump, the minute of `later`: not 600 minutes
  auto h = s->history("a", kT0, later + 60 * kNsPerSec, 1);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].count, 2u);
  EXPECT_EQ((*h)[0].rtt_max, 2 * kNsPerMs);
}

TEST(StoreHistory, RecentRoundsNotYetRolledUpStillShow) {
  TempDb tmp;
  auto s = open(tmp.db());
  for (int i = 0; i < 600; ++i) s->add_round(round("a", kT0 + i * kNsPerSec, true, {kNsPerMs}));
  ASSERT_TRUE(s->flush(kT0 + 600 * kNsPerSec));
  // 10 minutes in at most 20 points: minute rollups for what is rolled up, raw rounds
  // bucketed by minute for the rest.
  auto h = s->history("a", kT0, kT0 + 600 * kNsPerSec, 20);
  ASSERT_TRUE(h);
  std::uint64_t rounds = 0;
  for (const auto& p : *h) rounds += p.count;
  EXPECT_EQ(rounds, 600u);
  EXPECT_LE(h->size(), 20u);
}

TEST(StoreHistory, PruningIsBoundedAndKeepsRollups) {
  TempDb tmp;
  Options o;
  o.retention.raw = 2 * 60 * kNsPerSec;
  o.prune_budget = 100;
  o.rollup_budget = 1000;
  auto s = open(tmp.db(), o);
  for (int i = 0; i < 600; ++i) s->add_round(round("a", kT0 + i * kNsPerSec, true, {kNsPerMs}));
  TimeNs now = kT0 + 600 * kNsPerSec;
  auto st = s->flush(now);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pruned, 100u);  // the budget, not the 480 rows past retention
  std::size_t total = st->pruned;
  for (int i = 0; i < 10 && total < 480; ++i) total += s->flush(now)->pruned;
  EXPECT_EQ(total, 480u);
  auto raw = s->history("a", now - 120 * kNsPerSec, now, 1000);
  EXPECT_EQ(raw->size(), 120u);
  EXPECT_EQ((*raw)[0].resolution, Resolution::raw);
  auto old = s->history("a", kT0, kT0 + 5 * 60 * kNsPerSec, 1000);
  ASSERT_EQ(old->size(), 5u);  // raw is gone there, the minutes remain
  EXPECT_EQ((*old)[0].resolution, Resolution::minute);
}

TEST(StoreAlertState, SavedAndLoaded) {
  TempDb tmp;
  auto s = open(tmp.db());
  AlertState a{"web1", "down", model::TargetState::down, kT0, 4, 0, 0b1011, 21, true, true, kT0 + kNsPerSec,
               kT0 + 2 * kNsPerSec};
  AlertState b{"db1", "down", model::TargetState::up, kT0, 0, 7, 0, 3, false, false, 0};
  ASSERT_TRUE(s->save_alert_states({a, b}));
  a.failures = 5;
  ASSERT_TRUE(s->save_alert_states({a}));
  s.reset();
  s = open(tmp.db());
  auto got = s->load_alert_states();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].target, "web1");
  EXPECT_EQ((*got)[1].failures, 5u);
  EXPECT_EQ((*got)[1].flap_bits, 0b1011u);
  EXPECT_EQ((*got)[1].state, model::TargetState::down);
  EXPECT_TRUE((*got)[1].firing);
  EXPECT_EQ((*got)[1].last_notified_wall, kT0 + kNsPerSec);
  EXPECT_EQ((*got)[1].alert_since_wall, kT0 + 2 * kNsPerSec);
  ASSERT_TRUE(s->forget_alert_states({"db1"}));
  EXPECT_EQ(s->load_alert_states()->size(), 1u);
}

// A file written before quorum_since existed still opens, and its alert state resumes.
TEST(StoreAlertState, AFileWithoutQuorumSinceGetsTheColumn) {
  TempDb tmp;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(tmp.db().c_str(), &db), SQLITE_OK);
  const char* old = R"(CREATE TABLE alert_state(target TEXT NOT NULL, alert TEXT NOT NULL, state INTEGER,
  since INTEGER, failures INTEGER, successes INTEGER, flap_bits INTEGER, flap_rounds INTEGER,
  flapping INTEGER, firing INTEGER, last_notified INTEGER, PRIMARY KEY(target, alert)) WITHOUT ROWID;
  INSERT INTO alert_state VALUES('web1', 'down', 2, 7, 3, 0, 0, 3, 0, 1, 8);)";
  ASSERT_EQ(sqlite3_exec(db, old, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = open(tmp.db());
  auto got = s->load_alert_states();
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_TRUE((*got)[0].firing);
  EXPECT_EQ((*got)[0].last_notified_wall, 8);
  EXPECT_EQ((*got)[0].alert_since_wall, 0);
  (*got)[0].alert_since_wall = 9;
  ASSERT_TRUE(s->save_alert_states(*got));
  EXPECT_EQ(s->load_alert_states()->at(0).alert_since_wall, 9);
}

// What a restart reads after a notification was decided: the items and the state that decided
// them, committed by one call (watch's daemon relies on it to never decide a firing twice).
TEST(StoreOutbox, NotificationsAndTheirAlertStateCommitTogether) {
  TempDb tmp;
  auto s = open(tmp.db());
  AlertState a{"web1", "down", model::TargetState::down, kT0, 3, 0, 0b111, 3, false, true, kT0};
  auto items = s->enqueue({{"hook", "firing web1"}, {"mail", "web1 is down"}}, {a}, kT0);
  ASSERT_TRUE(items) << items.error().message();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_NE((*items)[0].key, (*items)[1].key);
  EXPECT_EQ((*items)[1].notifier, "mail");
  s.reset();
  s = open(tmp.db());
  auto due = s->due(kT0, 10, Backoff{});
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].payload, "firing web1");
  auto states = s->load_alert_states();
  ASSERT_TRUE(states);
  ASSERT_EQ(states->size(), 1u);
  EXPECT_TRUE((*states)[0].firing);
  EXPECT_EQ((*states)[0].last_notified_wall, kT0);
}

TEST(StoreOutbox, RetriesWithBackoffAndDeliversOnce) {
  TempDb tmp;
  auto s = open(tmp.db());
  Backoff b;  // 1 s doubling to 5 min, expires after 24 h
  auto x = s->enqueue("hook", R"({"status":"firing"})", kT0);
  auto y = s->enqueue("mail", "down", kT0);
  ASSERT_TRUE(x && y);
  EXPECT_NE(x->key, y->key);
  auto due = s->due(kT0, 10, b);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].key, x->key);
  ASSERT_TRUE(s->failed(x->id, kT0, "connection refused", b));
  ASSERT_TRUE(s->failed(x->id, kT0 + kNsPerSec, "connection refused", b));  // next at +1 s + 2 s
  ASSERT_TRUE(s->delivered(y->id, kT0));
  EXPECT_TRUE(s->due(kT0 + 2 * kNsPerSec, 10, b)->empty());
  // A restart keeps what is pending and nothing delivered.
  s.reset();
  s = open(tmp.db());
  auto later = s->due(kT0 + 3 * kNsPerSec, 10, b);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].key, x->key);
  EXPECT_EQ((*later)[0].attempts, 2u);
  EXPECT_EQ((*later)[0].last_error, "connection refused");
  EXPECT_EQ(s->outbox_pending()->first, 1u);
  ASSERT_TRUE(s->delivered(x->id, kT0 + 3 * kNsPerSec));
  EXPECT_TRUE(s->due(kT0 + 3600 * kNsPerSec, 10, b)->empty());
  EXPECT_EQ(s->outbox_pending()->first, 0u);
  // Items past expire_after are dead, never sent.
  auto z = s->enqueue("hook", "old", kT0);
  EXPECT_TRUE(s->due(kT0 + 25 * 3600 * kNsPerSec, 10, b)->empty());
  EXPECT_EQ(s->outbox_pending()->first, 0u);
  (void)z;
}

TEST(StoreOutbox, CountsPendingPerNotifier) {
  TempDb tmp;
  auto s = open(tmp.db());
  Backoff b;
  EXPECT_TRUE(s->outbox_pending_by_notifier()->empty());
  auto a1 = s->enqueue("hook", "a", kT0);
  auto a2 = s->enqueue("hook", "b", kT0);
  auto m1 = s->enqueue("mail", "c", kT0);
  auto m2 = s->enqueue("mail", "d", kT0);
  auto m3 = s->enqueue("mail", "e", kT0);
  ASSERT_TRUE(a1 && a2 && m1 && m2 && m3);
  ASSERT_TRUE(s->delivered(a1->id, kT0));
  ASSERT_TRUE(s->failed(m1->id, kT0, "refused", b));  // failed once: still pending
  auto n = s->outbox_pending_by_notifier();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, (std::map<std::string, std::size_t>{{"hook", 1}, {"mail", 3}}));
  ASSERT_TRUE(s->delivered(a2->id, kT0));
  n = s->outbox_pending_by_notifier();
  EXPECT_EQ(*n, (std::map<std::string, std::size_t>{{"mail", 3}}));
  // Dead items (past expire_after) are not queued any more.
  (void)s->due(kT0 + 25 * 3600 * kNsPerSec, 10, b);
  EXPECT_TRUE(s->outbox_pending_by_notifier()->empty());
}

TEST(StoreOutbox, BackoffDoublesUpToItsCap) {
  Backoff b;
  EXPECT_EQ(b.delay(1), kNsPerSec);
  EXPECT_EQ(b.delay(2), 2 * kNsPerSec);
  EXPECT_EQ(b.delay(5), 16 * kNsPerSec);
  EXPECT_EQ(b.delay(9), 256 * kNsPerSec);
  EXPECT_EQ(b.delay(10), 300 * kNsPerSec);
  EXPECT_EQ(b.delay(1000000), 300 * kNsPerSec);
}

TEST(StoreErrors, AFullDiskIsAnErrorValueAndRoundsWait) {
  TempDb tmp;
  Options o;
  o.max_bytes = 256 * 1024;
  o.max_pending = 5000;
  auto s = open(tmp.db(), o);
  std::vector<TimeNs> rtts(20);
  for (std::size_t i = 0; i < rtts.size(); ++i) rtts[i] = static_cast<TimeNs>(i * 123457 + 1000000);
  Result<FlushStats> st;
  int i = 0;
  for (; i < 400; ++i) {
    for (int k = 0; k < 100; ++k) s->add_round(round("t" + std::to_string(k), kT0 + i * kNsPerSec, true, rtts, 20));
    st = s->flush(kT0 + i * kNsPerSec);
    if (!st) break;
  }
  ASSERT_FALSE(st) << "the database never filled up";
  EXPECT_EQ(st.error().err, ENOSPC) << st.error().message();
  EXPECT_EQ(st.error().op, "store write");
  // Rounds keep being accepted (bounded) while writes fail; reads still work.
  for (int k = 0; k < 6000; ++k) s->add_round(round("t0", kT0 + (i + 1) * kNsPerSec + k, true, {kNsPerMs}));
  auto again = s->flush(kT0 + (i + 2) * kNsPerSec);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().err, ENOSPC);
  EXPECT_FALSE(s->history("t0", kT0, kT0 + 10 * kNsPerSec, 10)->empty());
}

TEST(StoreErrors, UnopenablePath) {
  Options o;
  o.path = "/nonexistent-dir/x/watch.db";
  auto s = Store::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().op, "store open");
  EXPECT_EQ(s.error().addr, "/nonexistent-dir/x/watch.db");
}

TEST(StoreCodec, RttsAndHistogramsRoundTrip) {
  std::vector<TimeNs> rtts = {0, 1, 127, 128, 20000, 1000000, 999999999999};
  EXPECT_EQ(decode_rtts(encode_rtts(rtts)), rtts);
  EXPECT_EQ(encode_rtts({1000000}).size(), 3u);
  EXPECT_FALSE(decode_rtts(std::string("\xff\xff", 2)));
  Histogram h{};
  h[0] = 1;
  h[30] = 70000;
  h[63] = 2;
  EXPECT_EQ(decode_hist(encode_hist(h)), h);
  EXPECT_FALSE(decode_hist(std::string("\x40\x01", 2)));  // bucket 64
  EXPECT_EQ(hist_bucket(0), 0);
  EXPECT_EQ(hist_bucket(10078), 0);  // below 8 us * 2^(1/3) = 10079.4 ns
  EXPECT_EQ(hist_bucket(10079), 1);
  EXPECT_EQ(hist_bucket(INT64_MAX), kHistBuckets - 1);
  for (int i = 1; i < kHistBuckets; ++i) EXPECT_GT(hist_upper_bound(i), hist_upper_bound(i - 1));
}

}  // namespace
}  // namespace reach::store
