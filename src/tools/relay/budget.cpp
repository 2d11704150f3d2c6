#include "tools/relay/budget.hpp"

namespace reach::tools::relay {

std::uint64_t forwarding_bytes(const config::RelayConfig& c) {
  return 2 * static_cast<std::uint64_t>(c.pipe_bytes) + (c.http ? c.max_head + 64 * 1024 : 0);
}

// Charged the forwarding cost instead, the silent connections of a half-open flood counted 13x
// their size with --http: the default 256 MiB cap refused every new client at ~1,260 of them
// while the relay held a few MiB (tests/integration/test_relay_halfopen.py).
// Plain TCP has no head to wait for: a pending connection is a backend connect that gets its
// pipes within a round trip. Charged nothing, a burst of them all passed a full memory cap
// together and overshot it once connected, so that a new client that had just evicted a
// connection to make room was still refused (bench/relay_flood.py, 40 /48s).
std::uint64_t pending_bytes(const config::RelayConfig& c) {
  if (!c.http && c.accept_proxy.empty()) return forwarding_bytes(c);
  return (c.http ? c.max_head : 0) + (c.accept_proxy.empty() ? 0 : 4096);
}

std::uint64_t memory_estimate(const config::RelayConfig& c, std::size_t open, std::size_t forwarding) {
  const std::size_t pending = open > forwarding ? open - forwarding : 0;
  return forwarding * forwarding_bytes(c) + pending * pending_bytes(c);
}

// Services start with a soft limit of 1024 (systemd): left there, the relay ran out of files at
// ~1,000 pending or ~170 forwarding connections, far below max_conns, and a half-open flood
// then stalled accept() (and /metrics) for everyone instead of meeting the caps.
std::size_t fds_wanted(const config::RelayConfig& c) { return static_cast<std::size_t>(c.limits.max_conns) * 6 + 256; }

}  // namespace reach::tools::relay
