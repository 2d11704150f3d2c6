#pragma once
// The alert event the watch format tests share: rule "down" firing for web1, 3 s after it went
// down, because "timed out".
#include "model/watch.hpp"

namespace reach::testing {

inline model::WatchEvent firing_event(TimeNs wall) {
  model::WatchEvent e;
  e.kind = model::WatchEvent::Kind::firing;
  e.wall = wall;
  e.target = "web1";
  e.alert = "down";
  e.from = model::TargetState::up;
  e.to = model::TargetState::down;
  e.reason = "timed out";
  e.since_wall = wall - 3 * kNsPerSec;
  return e;
}

}  // namespace reach::testing
