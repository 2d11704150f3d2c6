#pragma once
// When a target is really down, and when to tell someone: consecutive-round thresholds,
// Nagios-style flap detection, reminders and maintenance. Pure: results and time are passed in;
// the state is a plain value the store persists, so a restart or reload keeps it.
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "engine/watch_quorum.hpp"
#include "model/watch.hpp"

namespace reach::engine {

struct AlertRule {
  std::string name;
  int failures = 3;       // consecutive failed rounds before "down" (>= 1)
  int successes = 2;      // consecutive good rounds before "up" again (>= 1)
  // Flap detection as Nagios does it (docs: "Detection and Handling of State Flapping"): the
  // percent state change over the last `flap_window` results, changes weighted linearly from
  // 0.8 (oldest) to 1.2 (newest); flapping starts above `flap_high` and stops below `flap_low`.
  bool flap = true;
  int flap_window = 21;   // 2..32 results
  double flap_low = 20, flap_high = 30;
  TimeNs reminder = 0;    // repeat a firing notification this often (0: never)
  // > 0: fire while at least this many agents see the target down (this one's damped state
  // plus its peers', engine/watch_quorum), resolve when fewer do; flapping is not counted.
  int quorum = 0;
};

// Per (rule, target) state; every field is data, saved as is.
struct AlertState {
  model::TargetState state = model::TargetState::unknown;
  int fail_run = 0, ok_run = 0;     // current consecutive failures / successes
  std::uint32_t results = 0;        // last results, bit 0 = newest, 1 = success
  int results_len = 0;
  bool flapping = false;
  bool firing = false;              // a firing notification went out and is not resolved yet
  TimeNs since = 0;                 // unix ns: when `state` began
  TimeNs notified = 0;              // unix ns of the last firing/reminder notification
  // unix ns the firing alert began — the state change that fired it, or for a rule with `quorum`
  // the round that found the quorum reached (Prometheus's activeAt) —: its startsAt in the
  // firing, the reminders and the resolved notification; 0 = not firing.
  TimeNs alert_since = 0;
  std::string reason;               // the last failure's reason
};

// Percent state change (0..100) of the newest `window` results in `s` (Nagios' weighting).
double percent_state_change(const AlertState& s, int window);

// One round's verdict for one rule. `wall`: unix ns of the round. `maintenance`: notifications
// are held back while true, and reconciled at the first round after (a target that went down
// and came back during maintenance notifies nothing). Returns the events in order:
// state_change, flapping, firing / resolved / reminder (each names `target` and the rule).
// `peers`: what the peers see (count_peers), for a rule with a quorum; ignored without one.
// An alert event's since_wall (Alertmanager startsAt) is alert_since (`since` for a state saved
// before one was kept), the same in every re-send of the alert and in its resolved one.
std::vector<model::WatchEvent> on_round(AlertState& s, const AlertRule& rule, const std::string& target,
                                        bool success, const std::string& reason, TimeNs wall, bool maintenance,
                                        QuorumCount peers = {});

}  // namespace reach::engine
