#pragma once
// The path `reach watch` saw toward a target (one flow-stable trace, one address per hop), and
// how it differs from the last path seen while the target was up (docs/WATCH.md, "Paths").
#include <cstdint>
#include <optional>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "model/trace.hpp"
#include "model/watch.hpp"

namespace reach::model {

struct PathHop {
  int ttl = 0;
  std::optional<IpAddr> addr;  // none: no answer at this TTL (a star); with MDA the lowest
  std::vector<IpAddr> also;    // MDA: the other interfaces at this TTL (load balancing), ascending
  friend bool operator==(const PathHop&, const PathHop&) = default;
};

struct WatchPath {
  TimeNs wall = 0;                  // unix ns the trace started
  TargetState state = TargetState::unknown;  // the target's state when it was traced
  bool reached = false;             // the target itself answered
  std::vector<PathHop> hops;        // TTL 1.., trailing stars cut off
  TraceMethod protocol = TraceMethod::icmp;  // how it was traced (`path:` of the target)
  int port = 0;                     // udp/tcp destination port; 0 for icmp
  bool mda = false;                 // every load-balanced interface (hops' `also`)
};

enum class HopChange : std::uint8_t {
  same,     // one address on both sides (with MDA: the same set of interfaces)
  changed,  // two different addresses (sets)
  added,    // only the new path reaches this far
  removed,  // only the old path reached this far
  unknown,  // a star on one side or both: nothing to compare
};

struct PathDiffHop {
  int ttl = 0;
  std::optional<IpAddr> before, after;
  HopChange change = HopChange::same;
  std::vector<IpAddr> before_also, after_also;  // MDA: the other interfaces on each side
  bool changed() const { return change == HopChange::changed || change == HopChange::added || change == HopChange::removed; }
};

}  // namespace reach::model
