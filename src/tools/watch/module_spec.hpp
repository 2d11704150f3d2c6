#pragma once
// From configuration to a probe: a blackbox_exporter module and a /probe `target=` (or a watch
// target naming a module) become a ProbeSpec, with blackbox's meaning of each option.
#include <optional>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "config/blackbox_modules.hpp"
#include "config/values.hpp"
#include "tools/watch/probers.hpp"

namespace reach::tools::watch {

// `target` as blackbox takes it: a host for icmp, host:port for tcp, a URL for http, a DNS
// server (host[:port]) for dns. `timeout` > 0 caps the module's own. Errors name the module.
Result<ProbeSpec> spec_from_module(const config::BbModule& m, const std::string& target, TimeNs timeout);
// The expectations of an HTTP target; the pattern is compiled here (RE2), and a bad one is
// the error, which --validate and a reload report with the target's line.
Result<engine::HttpExpect> http_expect(const config::StatusSet& statuses, const std::string& statuses_text,
                                       const std::string& body, const std::string& body_regex, int cert_days);
// "host:port", "[v6]:port", "[fe80::1%eth0]:port", "host" (port 0), as base/address reads them.
// nullopt for an empty host, a bad port or a bad address.
std::optional<std::pair<std::string, int>> split_host_port(const std::string& text);
// The built-in modules plus those of a blackbox modules file.
Result<config::BbModules> load_modules(const std::string& path);

}  // namespace reach::tools::watch
