#pragma once
// `path:` of a watch target or of `defaults:` (docs/WATCH.md, "Paths"): whether the daemon
// traces the path toward the target, and how (protocol, port, max hops, MDA).
#include <cstdint>

#include "model/trace.hpp"

namespace reach::config {

struct PathSettings {
  bool enabled = true;                                     // `path: off` turns it off
  model::TraceMethod protocol = model::TraceMethod::icmp;  // icmp | udp | tcp
  int port = 0;      // udp/tcp destination port; 0: tcp the target's own tcp/syn port, else 80;
                     // udp 33434 (traceroute's)
  int max_hops = 30; // 1..255
  bool mda = false;  // every load-balanced path (engine/mda), as `reach trace --mda`
  double alpha = 0.05;  // MDA: the chance of missing a next hop at a vertex, as `--alpha`
  friend bool operator==(const PathSettings&, const PathSettings&) = default;
};

}  // namespace reach::config
