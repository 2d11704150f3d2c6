#include "app/daemon_commands.hpp"

#include <iostream>

namespace reach::app {

template <>
void RelayCommand::add_to(CLI::App& app) {
  auto& ro = opts;
  auto* rl = sub = app.add_subcommand("relay", "a dual-stack front door: forward connections to backends with the client's address (PROXY protocol, Forwarded)");
  rl->add_option("listen", ro.listen, "addresses to accept on: '[::]:80' (IPv6), 0.0.0.0:80, :80 (both families)");
  // One value per flag: `--to A B` would take listen address B for a backend without a word.
  rl->add_option("--to", ro.to, "a backend, address:port or [IPv6]:port (repeat the flag for several)")->allow_extra_args(false);
  rl->add_option("--send-proxy", ro.send_proxy, "tell the backends the client's address with a PROXY header: v1, v2 or none (default)");
  rl->add_option("--accept-proxy", ro.accept_proxy, "expect a PROXY header (v1 or v2) from clients in this prefix (a load balancer in front; repeat for several)")
      ->allow_extra_args(false);
  rl->add_flag("--http", ro.http, "HTTP/1: add Forwarded, X-Forwarded-For and X-Forwarded-Proto to every request");
  rl->add_option("--trusted", ro.trusted, "with --http: keep the Forwarded/X-Forwarded-* of clients in this prefix (else dropped; repeat for several)")
      ->allow_extra_args(false);
  rl->add_option("--balance", ro.balance, "roundrobin (default) or leastconn");
  rl->add_option("--connect-timeout", ro.connect_timeout, "time a backend has to accept (default 5s)");
  rl->add_option("--idle-timeout", ro.idle_timeout, "close a connection quiet this long (default 5m)");
  rl->add_option("--head-timeout", ro.head_timeout, "time for the PROXY header / first request head (default 5s)");
  rl->add_flag("--no-health-checks", ro.no_health, "do not check the backends (every one counts as up)");
  rl->add_flag("--no-blackhole", ro.no_blackhole, "keep bans in the relay instead of dropping banned prefixes in nftables (table inet reach)");
  rl->add_option("--metrics", ro.metrics, "serve Prometheus /metrics on this address (host:port)");
  rl->add_option("--user", ro.user, "run as this user");
  rl->add_option("--config", ro.config, "YAML file with a relay: section, reloaded on SIGHUP (docs/RELAY.md)");
  rl->add_flag("--validate", ro.validate, "check the options and config, then exit");
  rl->add_flag("--json", ro.json, "NDJSON events on stdout (docs/RELAY.md)");
  netns.add_to(rl, NetnsUse::run);
}

template <>
int RelayCommand::run(std::ostream& out) {
  if (!netns.enter("reach relay")) return 2;
  return tools::run_relay(opts, out, std::cerr);
}

}  // namespace reach::app
