#include "engine/watch_quorum.hpp"

namespace reach::engine {

QuorumCount count_peers(const std::vector<std::optional<PeerView>>& peers, TimeNs now, TimeNs stale) {
  QuorumCount q;
  for (const auto& p : peers) {
    if (!p || now - p->at > stale) continue;
    ++q.agents;
    q.down += p->state == model::TargetState::down;
  }
  return q;
}

}  // namespace reach::engine
