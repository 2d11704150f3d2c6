#pragma once
// The path `reach watch` saw toward a target (one flow-stable trace, one address per hop), and
// how it differs from the last path seen while the target was up (docs/WATCH.md, "Paths").
#include <cstdint>
#include <optional>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "model/watch.hpp"

namespace reach::model {

struct PathHop {
  int ttl = 0;
  std::optional<IpAddr> addr;  // none: no answer at this TTL (a star)
  friend bool operator==(const PathHop&, const PathHop&) = default;
};

struct WatchPath {
  TimeNs wall = 0;                  // unix ns the trace started
  TargetState state = TargetState::unknown;  // the target's state when it was traced
  bool reached = false;             // the target itself answered
  std::vector<PathHop> hops;        // TTL 1.., trailing stars cut off
};

enum class HopChange : std::uint8_t {
  same,     // one address on both sides
  changed,  // two different addresses
  added,    // only the new path reaches this far
  removed,  // only the old path reached this far
  unknown,  // a star on one side or both: nothing to compare
};

struct PathDiffHop {
  int ttl = 0;
  std::optional<IpAddr> before, after;
  HopChange change = HopChange::same;
  bool changed() const { return change == HopChange::changed || change == HopChange::added || change == HopChange::removed; }
};

}  // namespace reach::model
