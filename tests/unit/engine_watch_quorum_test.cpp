// The `peers:` quorum: how peers are counted (engine/watch_quorum) and when an alert with a
// quorum fires and resolves (engine::on_round).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/watch_alerts.hpp"
#include "engine/watch_quorum.hpp"

namespace reach::engine {
namespace {

using model::TargetState;
using model::WatchEvent;

constexpr TimeNs S = kNsPerSec;
constexpr TimeNs kStale = 10 * S;
constexpr TargetState D = TargetState::down, U = TargetState::up, X = TargetState::unknown;

struct CountCase {
  const char* what;
  std::vector<std::optional<PeerView>> peers;  // now = 100 s
  int down, agents;
};

TEST(WatchQuorum, CountsFreshPeerViews) {
  const TimeNs now = 100 * S;
  const std::vector<CountCase> cases = {
      {"no peers", {}, 0, 0},
      {"two peers down", {PeerView{D, now - S}, PeerView{D, now}}, 2, 2},
      {"both up", {PeerView{U, now}, PeerView{U, now}}, 0, 2},
      {"unknown counts as an agent, not as down", {PeerView{X, now}, PeerView{D, now}}, 1, 2},
      {"never answered: not counted", {std::nullopt, PeerView{D, now}}, 1, 1},
      {"exactly stale still counts", {PeerView{D, now - kStale}}, 1, 1},
      {"older than stale: not counted", {PeerView{D, now - kStale - 1}, PeerView{U, now}}, 0, 1},
  };
  for (const auto& c : cases) {
    QuorumCount q = count_peers(c.peers, now, kStale);
    EXPECT_EQ(q.down, c.down) << c.what;
    EXPECT_EQ(q.agents, c.agents) << c.what;
  }
}

// One rule with `quorum: 2` fed rounds of this agent plus the peers' count before each round.
struct Step {
  bool ok;       // this agent's round
  int peers_down;
  int peers;     // peers with a fresh view
  std::vector<WatchEvent::Kind> alert_events;  // firing / resolved only
};

struct QuorumCase {
  const char* what;
  int quorum;
  std::vector<Step> steps;
};

std::vector<WatchEvent::Kind> alert_kinds(const std::vector<WatchEvent>& ev) {
  std::vector<WatchEvent::Kind> k;
  for (const auto& e : ev)
    if (e.kind == WatchEvent::Kind::firing || e.kind == WatchEvent::Kind::resolved) k.push_back(e.kind);
  return k;
}

TEST(WatchQuorum, FiresOnlyWhenEnoughAgentsSeeItDown) {
  using K = WatchEvent::Kind;
  const std::vector<Step> up3 = {{true, 0, 2, {}}, {true, 0, 2, {}}};
  auto with = [&](std::vector<Step> tail) {
    std::vector<Step> s = up3;
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  const std::vector<QuorumCase> cases = {
      {"down here alone (1 of 3): never fires", 2,
       with({{false, 0, 2, {}}, {false, 0, 2, {}}, {false, 0, 2, {}}, {false, 0, 2, {}}})},
      {"down here and at one peer (2 of 3): fires once this agent's damping says down", 2,
       with({{false, 1, 2, {}}, {false, 1, 2, {}}, {false, 1, 2, {K::firing}}, {false, 1, 2, {}}})},
      {"up here, two peers down (2 of 3): fires here too", 2, with({{true, 2, 2, {K::firing}}, {true, 2, 2, {}}})},
      {"quorum lost: resolves at once, though still down here", 2,
       with({{false, 1, 2, {}}, {false, 1, 2, {}}, {false, 1, 2, {K::firing}}, {false, 0, 2, {K::resolved}},
             {false, 0, 2, {}}})},
      {"a peer gone stale no longer counts", 2,
       with({{true, 2, 2, {K::firing}}, {true, 1, 1, {K::resolved}}})},
      {"quorum 3 needs all three", 3,
       with({{true, 2, 2, {}}, {false, 2, 2, {}}, {false, 2, 2, {}}, {false, 2, 2, {K::firing}}})},
      {"quorum 1 is this agent's own alert", 1,
       with({{false, 0, 0, {}}, {false, 0, 0, {}}, {false, 0, 0, {K::firing}}, {true, 0, 0, {}},
             {true, 0, 0, {K::resolved}}})},
  };
  for (const auto& c : cases) {
    AlertRule rule;
    rule.name = "down";
    rule.failures = 3;
    rule.flap = false;
    rule.quorum = c.quorum;
    AlertState st;
    TimeNs t = 0;
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      t += S;
      auto ev = on_round(st, rule, "web1", s.ok, s.ok ? "" : "timed out", t, false, {s.peers_down, s.peers});
      EXPECT_EQ(alert_kinds(ev), s.alert_events) << c.what << ", step " << i;
    }
  }
}

TEST(WatchQuorum, FiringSaysHowManyAgentsAndWhy) {
  AlertRule rule;
  rule.name = "down";
  rule.failures = 1;
  rule.quorum = 2;
  AlertState st;
  auto ev = on_round(st, rule, "web1", false, "timed out", S, false, {1, 2});
  ASSERT_EQ(alert_kinds(ev), std::vector{WatchEvent::Kind::firing});
  EXPECT_EQ(ev.back().reason, "down from 2 of 3 agents: timed out");
  AlertState other;
  ev = on_round(other, rule, "web1", true, "", S, false, {2, 2});
  ASSERT_EQ(alert_kinds(ev), std::vector{WatchEvent::Kind::firing});
  EXPECT_EQ(ev.back().reason, "down from 2 of 3 agents");
}

// Alertmanager's startsAt of a quorum alert is the round that found the quorum reached (as
// Prometheus's activeAt of a `count(...) >= k` rule), not this agent's own state change, and
// the same in the firing, every reminder and the resolved, so Alertmanager sees one alert.
TEST(WatchQuorum, StartsAtIsWhenTheQuorumWasReachedAndStaysPut) {
  using K = WatchEvent::Kind;
  AlertRule rule;
  rule.name = "down";
  rule.failures = 1;
  rule.successes = 1;
  rule.flap = false;
  rule.quorum = 2;
  rule.reminder = 3 * S;
  struct Step {
    bool ok;
    int peers_down;
    std::vector<K> kinds;  // firing / resolved / reminder
    TimeNs starts;         // their since_wall
  };
  // t = 1 s, 2 s, ...: down here from 2 s; a peer agrees from 5 s; quorum lost at 12 s; both
  // again from 14 s: a new alert that starts then.
  const std::vector<Step> steps = {
      {true, 0, {}, 0},          {false, 0, {}, 0},         {false, 0, {}, 0},
      {false, 0, {}, 0},         {false, 1, {K::firing}, 5 * S}, {false, 1, {}, 0},
      {false, 1, {}, 0},         {false, 1, {K::reminder}, 5 * S}, {false, 1, {}, 0},
      {false, 1, {}, 0},         {false, 1, {K::reminder}, 5 * S}, {false, 0, {K::resolved}, 5 * S},
      {false, 0, {}, 0},         {false, 1, {K::firing}, 14 * S},
  };
  AlertState st;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TimeNs t = static_cast<TimeNs>(i + 1) * S;
    auto ev = on_round(st, rule, "web1", steps[i].ok, "timed out", t, false, {steps[i].peers_down, 2});
    std::vector<K> kinds;
    for (const auto& e : ev)
      if (e.kind == K::firing || e.kind == K::resolved || e.kind == K::reminder) {
        kinds.push_back(e.kind);
        EXPECT_EQ(e.since_wall, steps[i].starts) << "step " << i;
      }
    EXPECT_EQ(kinds, steps[i].kinds) << "step " << i;
    if (i > 0) {
      EXPECT_EQ(st.since, 2 * S) << "this agent's own state is down since 2 s, step " << i;
    }
  }
  // Kept by value: a restart that saved the state sends the same startsAt.
  AlertState saved = st;
  rule.reminder = S;
  auto ev = on_round(saved, rule, "web1", false, "timed out", 20 * S, false, {1, 2});
  ASSERT_EQ(alert_kinds(ev).size(), 0u);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, K::reminder);
  EXPECT_EQ(ev.back().since_wall, 14 * S);
  // Up here all along, two peers down: the alert starts when they agreed, not when this agent
  // came up.
  AlertState up;
  on_round(up, rule, "web1", true, "", S, false, {0, 2});
  ev = on_round(up, rule, "web1", true, "", 9 * S, false, {2, 2});
  ASSERT_EQ(alert_kinds(ev), std::vector{K::firing});
  EXPECT_EQ(ev.back().since_wall, 9 * S);
  EXPECT_EQ(up.since, S);
}

TEST(WatchQuorum, MaintenanceHoldsItBack) {
  AlertRule rule;
  rule.name = "down";
  rule.quorum = 2;
  AlertState st;
  EXPECT_TRUE(alert_kinds(on_round(st, rule, "web1", true, "", S, true, {2, 2})).empty());
  EXPECT_EQ(alert_kinds(on_round(st, rule, "web1", true, "", 2 * S, false, {2, 2})),
            std::vector{WatchEvent::Kind::firing});
}

}  // namespace
}  // namespace reach::engine
