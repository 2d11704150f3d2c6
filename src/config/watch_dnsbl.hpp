#pragma once
// The fields of a `probe: dnsbl` watch target (docs/WATCH-CONFIG.md): `zones:` and
// `dns_server:`, and the rule that its host is an address. Internal to config/watch_config.cpp.
#include <string>
#include <string_view>

#include "config/watch_config.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

// A dnsbl target's defaults: blocklists rate-limit, and a listing is news within the hour,
// not the second. `defaults:` and --interval/--timeout do not apply to it.
inline constexpr TimeNs kDnsblInterval = 600 * kNsPerSec;
inline constexpr TimeNs kDnsblTimeout = 5 * kNsPerSec;

// Parses `zones:` or `dns_server:` (the caller's key list holds both) into `t`.
void parse_dnsbl_key(yaml::Walker& w, std::string_view key, const yaml::Node& v, const std::string& path,
                     WatchTarget& t);

// Once the kind is known (`n` is the target's map): a dnsbl target needs `host:` as an address
// without a port or zone, takes no `port:`, and gets the default zones when it gave none; other
// kinds must not have `zones:` or `dns_server:`.
void check_dnsbl_fields(yaml::Walker& w, const yaml::Node& n, const std::string& path, WatchTarget& t, bool has_port);

}  // namespace reach::config
