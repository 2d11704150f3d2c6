#pragma once
// The `relay:` section of the one YAML file (`reach relay --config FILE`), parsed from the whole
// file so errors carry its line numbers, with the walker watch and usage use. The command line
// builds the same struct (flags override the file). Every key and default: docs/RELAY.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "config/relay_limits.hpp"
#include "config/watch_config.hpp"

namespace reach::config {

enum class ProxySend : std::uint8_t { none, v1, v2 };
enum class Balance : std::uint8_t { roundrobin, leastconn };

struct RelayBackend {
  IpAddr addr;  // a literal: names are not resolved (a relay must not depend on DNS to start)
  std::uint16_t port = 0;
  std::optional<ProxySend> send_proxy;  // unset: the section's send_proxy
  std::string text;                     // "198.18.1.2:80", "[2001:db8::2]:80": its name in metrics
  int line = 0;
};

struct RelayHealth {
  TimeNs interval = 2 * kNsPerSec;  // a TCP connect to each backend
  TimeNs timeout = kNsPerSec;
  int fall = 3;                     // failed checks in a row that take a backend out
  int rise = 2;                     // good checks in a row that put it back
};

struct RelayConfig {
  std::string source;
  std::vector<std::string> listen;      // io::ListenAddress texts, checked by the tool
  std::vector<int> listen_lines;        // each one's line in the file (0: from the command line)
  std::vector<RelayBackend> backends;   // at least one
  ProxySend send_proxy = ProxySend::none;
  Balance balance = Balance::roundrobin;
  bool http = false;
  std::vector<IpPrefix> trusted;        // --http: Forwarded/X-Forwarded-* kept from these
  std::vector<IpPrefix> accept_proxy;   // a PROXY header is required from these (and only them)
  TimeNs connect_timeout = 5 * kNsPerSec;
  TimeNs idle_timeout = 300 * kNsPerSec;
  TimeNs head_timeout = 5 * kNsPerSec;  // PROXY header / first request head
  std::size_t max_head = 16 * 1024;     // --http: bytes of one request head
  int pipe_bytes = 64 * 1024;           // splice pipe per direction
  RelayHealth health;
  bool health_checks = true;
  std::optional<std::string> metrics;   // listen address of /metrics
  std::optional<std::string> user;
  int metrics_line = 0, user_line = 0;  // in the file; 0: from the command line or absent
  RelayLimitsConfig limits;             // `relay.limits:` (config/relay_limits: the flood defences)
};

// Reads `relay:` (required; its `limits:` through parse_relay_limits_node) and `user:`; ignores
// the other daemons' keys.
ConfigResult<RelayConfig> parse_relay_config(std::string_view text, const std::string& source);
// The same, keeping what parsed beside the errors (empty when none), so the checks that need the
// system (tools/relay: listen addresses, the user) still run and --validate lists every error.
ConfigErrors parse_relay_config_into(std::string_view text, const std::string& source, RelayConfig& c);

// Pieces the command line shares: "v1", "v2", "none"; "roundrobin", "leastconn";
// "198.18.1.2:80" / "[2001:db8::2]:80".
std::optional<ProxySend> parse_proxy_send(std::string_view s);
// What the file and the flags say of a word they refused: "\"random\" must be roundrobin or leastconn".
inline constexpr const char* kProxyWords = "v1, v2 or none";
inline constexpr const char* kBalanceWords = "roundrobin or leastconn";
std::string must_be(std::string_view value, const char* words);
std::optional<Balance> parse_balance(std::string_view s);
Result<RelayBackend> parse_backend(std::string_view text);
const char* proxy_send_word(ProxySend p);

}  // namespace reach::config
