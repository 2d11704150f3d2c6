#pragma once
// Command-line targets of `reach watch` (`HOST`, `tcp://HOST:PORT`, `https://URL`,
// `dns://SERVER/NAME`, ...) turned into the YAML a config file holds, and the one place their
// display name is formed: the live table, /metrics, /probe, the API and the events all show it.
#include <string>
#include <vector>

#include "base/error.hpp"

namespace reach::tools::watch {

// The name of a command-line target: its address as base/address writes it (IPv6 literals in
// RFC 5952 form, in brackets when a port follows: `[::1]:8080`, `::1` alone), then the URL
// path or the DNS name with every character a name may not hold as '_' (docs/WATCH.md).
// `kind` is the scheme ("icmp" for a bare host), `rest` what follows "://".
std::string target_name(const std::string& kind, const std::string& rest);

// Every target as YAML (JSON) for config::parse_watch_config, named by target_name (a name
// given twice gets "_2", "_3"). Errors name the target that has no known scheme or form.
Result<std::string> targets_yaml(const std::vector<std::string>& targets);

}  // namespace reach::tools::watch
