#pragma once
// The `relay.limits:` section of the one YAML file: the flood defences of `reach relay`
// (engine/relay_limits, tools/relay/defence). Parsed from the whole file, apart from the rest of
// `relay:` (config/relay_config), with the same walker and error format. docs/RELAY.md.
//
//   relay:
//     limits:
//       ipv4:      { prefix: 32, conns: 256, rate: 50, burst: 100 }   # prefix 32 or 24
//       ipv6:      { prefix: 64, conns: 256, rate: 50, burst: 100 }
//       ipv6_wide: { prefix: 48, conns: 1024, rate: 200, burst: 400 } # or: off
//       max_conns: 10000
//       max_memory: 256MiB
//       max_prefixes: 100000
//       ban: { after: 50, window: 10s, time: 10m }                   # or: off
//       blackhole: true            # push bans to nftables (table inet reach)
//       nft_idle: 30s              # libnftables unloaded this long after the last ban batch
//       allow: [ "198.18.0.0/24" ]   # never limited, never banned
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "config/watch_config.hpp"

namespace reach::config {

struct PrefixLimit {
  int len = 0;                  // prefix length this limit aggregates by
  std::uint32_t max_conns = 0;  // concurrent; 0 = unlimited
  double rate = 0;              // new connections per second; 0 = unlimited
  double burst = 0;             // bucket size (>= 1)
};

struct RelayLimitsConfig {
  // Defaults sized so a busy NAT (IPv4 /32) or an office /64 is never refused by accident.
  PrefixLimit v4{32, 256, 50, 100};
  PrefixLimit v6{64, 256, 50, 100};
  PrefixLimit v6_wide{48, 1024, 200, 400};  // len 0 disables the second IPv6 level
  std::uint32_t max_conns = 10000;           // global
  std::uint64_t max_memory = 256ull << 20;   // bytes of relay buffers
  std::size_t max_prefixes = 100000;         // bound of the state table
  // Ban: a prefix refused (per-prefix reasons) ban_after times within ban_window is banned for
  // ban_time. 0 disables bans.
  std::uint32_t ban_after = 50;
  TimeNs ban_window = 10 * kNsPerSec;
  TimeNs ban_time = 600 * kNsPerSec;
  TimeNs idle_evict = 60 * kNsPerSec;  // an idle prefix's state is dropped after this
  std::vector<IpPrefix> allow;         // never limited, never banned
  bool blackhole = true;               // bans go to the kernel's nftables sets too
  TimeNs nft_idle = 30 * kNsPerSec;    // libnftables unloaded this long after the last batch
};

// Reads `relay.limits:`; defaults when the file has none. Other keys are not looked at.
ConfigResult<RelayLimitsConfig> parse_relay_limits(std::string_view text, const std::string& source);

namespace yaml {
class Walker;
class Node;
}  // namespace yaml
// The same for the `limits:` node itself, for parse_relay_config's walk over `relay:` (one pass,
// one list of errors): `else if (rk == "limits") parse_relay_limits_node(w, rv, p, c.limits);`.
void parse_relay_limits_node(yaml::Walker& w, const yaml::Node& n, const std::string& path, RelayLimitsConfig& c);

}  // namespace reach::config
