#pragma once
// `reach relay`: a dual-stack front door. Accepts on any number of IPv4/IPv6 addresses and
// forwards each connection to a backend, telling it the client's address (PROXY protocol v1/v2,
// or Forwarded/X-Forwarded-For with --http). docs/RELAY.md.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace reach::tools {

struct RelayOptions {
  std::vector<std::string> listen;        // LISTEN...: "[::]:80", "0.0.0.0:80", ":80"
  std::vector<std::string> to;            // --to BACKEND...
  std::optional<std::string> send_proxy;  // --send-proxy v1|v2|none
  std::vector<std::string> accept_proxy;  // --accept-proxy PREFIX...
  std::vector<std::string> trusted;       // --trusted PREFIX... (--http)
  bool http = false;
  std::optional<std::string> balance;     // --balance roundrobin|leastconn
  std::optional<std::string> connect_timeout, idle_timeout, head_timeout;  // durations
  bool no_health = false;                 // --no-health-checks
  std::optional<std::string> metrics;     // --metrics LISTEN
  std::optional<std::string> user;        // --user NAME
  std::string config;                     // --config FILE
  bool validate = false;                  // --validate: check the config and exit
  bool json = false;                      // NDJSON events on stdout
};

// Runs until SIGINT/SIGTERM (0); 2 on bad input or when a listen address cannot be opened.
int run_relay(const RelayOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
