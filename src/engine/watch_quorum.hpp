#pragma once
// Multi-vantage quorum without Prometheus (`peers:` in watch's config): how many peers see a
// target down, from the views last pulled from them (the agent adds its own view: on_round).
// Pure: the times are passed in; a view older than `stale` (or none yet) counts neither as down
// nor as an agent, so a peer that stopped answering never holds an alert up or down.
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "model/watch.hpp"

namespace reach::engine {

// What one peer said about one target, and when it was pulled (monotonic ns).
struct PeerView {
  model::TargetState state = model::TargetState::unknown;
  TimeNs at = 0;
};

struct QuorumCount {
  int down = 0;    // peers that see the target down
  int agents = 0;  // peers with a fresh view of it
};

// `peers`: one entry per configured peer; none = it never reported this target.
QuorumCount count_peers(const std::vector<std::optional<PeerView>>& peers, TimeNs now, TimeNs stale);

}  // namespace reach::engine
