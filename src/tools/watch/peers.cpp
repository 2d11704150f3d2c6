// `peers:`: other agents watching the same targets. Each peer's GET /api/v1/targets is pulled
// every `peers.interval` on the loop (io::HttpAsync, one request per peer at a time); an alert
// rule with `quorum:` counts the agents that see a target down (engine/watch_quorum) at each
// round of that target. A peer that does not answer is said once in an error event (and once
// when it answers again) and stops counting after `peers.stale`.
#include <fmt/format.h>

#include "config/peer_targets.hpp"
#include "sys/clock.hpp"
#include "tools/watch/daemon.hpp"

namespace reach::tools::watch {

void Daemon::configure_peers() {
  ++peers_gen_;
  peers_.clear();
  for (std::string url : opts_.config.peers.urls) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    peers_.push_back(Peer{url + "/api/v1/targets", false, 0, {}, {}});
  }
  if (peers_.empty()) return;
  if (!peer_http_) {
    auto h = io::HttpAsync::create(*reactor_);
    if (!h) {
      emit(model::WatchEvent{model::WatchEvent::Kind::error, sys::WallClock().now(), {}, {}, {}, {},
                             "peers: " + h.error().message(), 0});
      peers_.clear();
      return;
    }
    peer_http_ = std::move(*h);
  }
  if (!peer_timer_) {
    peer_timer_ = true;
    reactor_->after(0, [this] { poll_peers(); });
  }
}

void Daemon::poll_peers() {
  if (peers_.empty()) {
    peer_timer_ = false;
    return;
  }
  reactor_->after(opts_.config.peers.interval, [this] { poll_peers(); });
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    Peer& p = peers_[i];
    if (p.in_flight) continue;
    io::HttpRequest req;
    req.url = p.url;
    req.timeout = opts_.config.peers.timeout;
    req.max_body = 256u << 20;  // a few hundred bytes per target: far above any one agent
    req.headers = {"Accept: application/json"};
    const std::uint64_t gen = peers_gen_;
    auto done = [this, i, gen](io::HttpResponse r) {
      if (gen != peers_gen_ || i >= peers_.size()) return;  // the peers list changed meanwhile
      Peer& peer = peers_[i];
      peer.in_flight = false;
      std::string why;
      if (!r.completed) why = r.error.empty() ? "no answer" : r.error;
      else if (r.status != 200) why = fmt::format("HTTP status {}", r.status);
      if (why.empty()) {
        if (auto list = config::parse_peer_targets(r.body, peer.url)) {
          peer.states.clear();
          for (auto& [name, state] : *list) peer.states.emplace(std::move(name), state);
          peer.at = reactor_->refresh_now();
        } else {
          why = list.error().message();
        }
      }
      const TimeNs wall = sys::WallClock().now();
      if (!why.empty() && peer.error.empty())
        emit(model::WatchEvent{model::WatchEvent::Kind::error, wall, {}, {}, {}, {},
                               fmt::format("peer {}: {}", peer.url, why), 0});
      else if (why.empty() && !peer.error.empty())
        emit(model::WatchEvent{model::WatchEvent::Kind::error, wall, {}, {}, {}, {},
                               fmt::format("peer {}: answering again", peer.url), 0});
      peer.error = why;
    };
    if (peer_http_->start(std::move(req), std::move(done))) p.in_flight = true;
  }
}

engine::QuorumCount Daemon::peer_count(const std::string& target) const {
  std::vector<std::optional<engine::PeerView>> views;
  views.reserve(peers_.size());
  for (const Peer& p : peers_) {
    auto it = p.at > 0 ? p.states.find(target) : p.states.end();
    if (it == p.states.end()) views.emplace_back();
    else views.push_back(engine::PeerView{it->second, p.at});
  }
  return engine::count_peers(views, reactor_->now(), opts_.config.peers.stale);
}

}  // namespace reach::tools::watch
