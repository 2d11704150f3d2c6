#pragma once
// Reading `path:` (internal to config/watch_config.cpp).
#include <string>

#include "config/watch_path.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

// `path: off|on` or `path: {protocol, port, max_hops, mda, alpha}`; the keys given replace
// those of `base` (the defaults' settings), the others stay.
PathSettings parse_path_settings(yaml::Walker& w, const yaml::Node& n, const std::string& path, PathSettings base);

// Once the probe kind is known: `path:` only where watch traces (icmp, tcp, syn, udp), and the
// tcp port from the target's own when `port:` was not given under `path:`.
void check_path_fields(yaml::Walker& w, const yaml::Node& n, const std::string& path, WatchTarget& t);

}  // namespace reach::config
