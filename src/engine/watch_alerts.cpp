#include "engine/watch_alerts.hpp"

#include <algorithm>

namespace reach::engine {

using model::TargetState;
using model::WatchEvent;

double percent_state_change(const AlertState& s, int window) {
  const int n = std::min({s.results_len, window, 32});
  if (n < 2) return 0;
  // Bit i is the i-th newest result; change j sits between results j+1 (older) and j (newer).
  double total = 0;
  for (int j = 0; j + 1 < n; ++j) {
    const bool newer = (s.results >> j) & 1u, older = (s.results >> (j + 1)) & 1u;
    if (newer == older) continue;
    // Weight 1.2 for the newest change (j = 0) down to 0.8 for the oldest (j = n - 2).
    const double weight = n > 2 ? 1.2 - 0.4 * j / (n - 2) : 1.0;
    total += weight;
  }
  return 100.0 * total / (n - 1);
}

namespace {

WatchEvent event(WatchEvent::Kind k, const std::string& target, const std::string& rule, const AlertState& s,
                 TimeNs wall) {
  WatchEvent e;
  e.kind = k;
  e.wall = wall;
  e.target = target;
  e.alert = rule;
  e.to = s.state;
  e.reason = s.reason;
  e.since_wall = s.since;
  return e;
}

}  // namespace

std::vector<WatchEvent> on_round(AlertState& s, const AlertRule& rule, const std::string& target, bool success,
                                 const std::string& reason, TimeNs wall, bool maintenance, QuorumCount peers) {
  std::vector<WatchEvent> out;
  s.results = (s.results << 1) | (success ? 1u : 0u);
  s.results_len = std::min(s.results_len + 1, 32);
  if (success) {
    ++s.ok_run;
    s.fail_run = 0;
  } else {
    ++s.fail_run;
    s.ok_run = 0;
    s.reason = reason;
  }

  const TargetState before = s.state;
  if (!success && s.fail_run >= std::max(rule.failures, 1) && s.state != TargetState::down)
    s.state = TargetState::down;
  else if (success && s.ok_run >= std::max(rule.successes, 1) && s.state != TargetState::up)
    s.state = TargetState::up;
  if (s.state != before) {
    s.since = wall;
    WatchEvent e = event(WatchEvent::Kind::state_change, target, {}, s, wall);
    e.from = before;
    if (s.state == TargetState::up) e.reason.clear();
    out.push_back(e);
  }

  if (rule.flap) {
    const int window = std::clamp(rule.flap_window, 2, 32);
    const double pct = percent_state_change(s, window);
    const bool was = s.flapping;
    // Judged only on a full window, as Nagios does: one lost round after a start is no flap.
    if (!was && s.results_len >= window && pct > rule.flap_high) s.flapping = true;
    else if (was && pct < rule.flap_low) s.flapping = false;
    if (s.flapping != was) {
      WatchEvent e = event(WatchEvent::Kind::flapping, target, rule.name, s, wall);
      e.reason = s.flapping ? "flapping started" : "flapping stopped";
      out.push_back(e);
    }
  }

  if (maintenance) return out;
  // A flapping target is treated as down for notifications: one firing when it starts, one
  // resolved once it has settled up, however many times it changes in between.
  // With a quorum the agents' damped states are counted instead (each agent already waited for
  // its own `failures`), and the alert resolves as soon as fewer than `quorum` see it down.
  const int down = (s.state == TargetState::down ? 1 : 0) + peers.down;
  const bool want = rule.quorum > 0 ? down >= rule.quorum : s.state == TargetState::down || s.flapping;
  const bool settled = rule.quorum > 0 || (s.state == TargetState::up && s.ok_run >= 2);
  // An alert keeps the start it fired with: the resolved notification comes after the state
  // changed back (receivers take endsAt - startsAt as the outage). A quorum alert starts when the
  // quorum was reached, not when this agent's own state changed (it may be up, or have gone
  // down long before the peers agreed).
  auto alert_event = [&](WatchEvent::Kind k) {
    WatchEvent e = event(k, target, rule.name, s, wall);
    if (s.alert_since > 0) e.since_wall = s.alert_since;
    return e;
  };
  if (want && !s.firing) {
    s.firing = true;
    s.notified = wall;
    s.alert_since = rule.quorum > 0 ? wall : s.since;
    WatchEvent e = alert_event(WatchEvent::Kind::firing);
    if (s.flapping && s.state != TargetState::down) e.reason = "flapping";
    if (rule.quorum > 0) {
      const std::string mine = s.state == TargetState::down ? ": " + s.reason : std::string();
      e.reason = "down from " + std::to_string(down) + " of " + std::to_string(peers.agents + 1) + " agents" + mine;
    }
    out.push_back(e);
  } else if (!want && s.firing && settled) {
    // Never resolved by a single good round: a target alternating every round would otherwise
    // fire and resolve at each change until flap detection has seen enough of it.
    s.firing = false;
    WatchEvent e = alert_event(WatchEvent::Kind::resolved);
    e.reason.clear();
    s.alert_since = 0;
    out.push_back(e);
  } else if (want && s.firing && rule.reminder > 0 && wall - s.notified >= rule.reminder) {
    s.notified = wall;
    out.push_back(alert_event(WatchEvent::Kind::reminder));
  }
  return out;
}

}  // namespace reach::engine
