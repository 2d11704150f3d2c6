#pragma once
// Checks and readers shared by the parsers of the one YAML file (watch_config, usage_config):
// the shape of names, hosts, URLs and zones, error paths, and the `notifiers:` section, which
// `reach watch` and `reach usage` read alike. Internal to config/.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/watch_config.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config::words {

// 1..128 of A-Z a-z 0-9 _ . : - (target, alert, notifier and plan names).
bool is_name(std::string_view s);
// Every byte printable ASCII (space too when `spaces`).
bool printable(std::string_view s, bool spaces);
bool is_host(std::string_view s);
// "scheme://host[:port][/...]" with one of `schemes`; returns the scheme or empty.
std::string url_scheme(std::string_view s, std::initializer_list<std::string_view> schemes);
// An IANA zone name's shape ("Europe/Berlin", "UTC", "Etc/GMT+2"); whether it exists is the tool's.
bool is_tz(std::string_view s);
// Error paths: at("usage", "plans") = "usage.plans", idx("plans", 2) = "plans[2]".
std::string at(const std::string& base, std::string_view key);
std::string idx(std::string_view base, std::size_t i);

// The `notifiers:` map (name -> webhook/smtp/syslog/exec), sorted by name; errors go to `w`.
std::vector<Notifier> parse_notifiers(yaml::Walker& w, const yaml::Node& n, const std::string& path);

}  // namespace reach::config::words
