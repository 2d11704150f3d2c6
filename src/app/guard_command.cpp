#include "app/daemon_commands.hpp"

#include <iostream>

namespace reach::app {

template <>
void GuardCommand::add_to(CLI::App& app) {
  auto& go = opts;
  auto* g = sub = app.add_subcommand("guard", "ban brute-force sources in the kernel (nftables sets) from log lines, never the operator (docs/GUARD.md)");
  g->fallthrough();
  g->add_option("--config", go.config, "the YAML file with a guard: section (docs/GUARD.md)");
  g->add_flag("--validate", go.validate, "check the config (rules compiled) and print every error with its line; exit 2 on errors");
  g->add_flag("--dry-run", go.dry_run, "print the ban decisions as NDJSON and change nothing (no netlink writes)");
  g->add_flag("--json", go.json, "NDJSON: the daemon's decisions, --list, check, --test-rule (docs/JSON.md)");
  g->add_flag("--list", go.list, "the bans in force, from the state file (and whether the kernel holds each)");
  g->add_option("--unban", go.unban, "lift the ban holding ADDR (or the prefix ADDR/N), also in a running daemon");
  g->add_option("--ban", go.ban, "ban ADDR or ADDR/N by hand (the allow-list still applies)");
  g->add_option("--ban-time", go.ban_time, "how long --ban lasts (default: as the escalation says)");
  g->add_flag("--uninstall", go.uninstall, "delete guard's nftables table (inet reach) and nothing else");
  g->add_flag("--no-allow-ssh-client", go.no_allow_ssh_client, "do not add the client of $SSH_CONNECTION to the allow-list");
  g->add_option("--test-rule", go.test_rule, "RULES LOGFILE: which lines of LOGFILE the rules match (RULES: sshd, a config file or a regex with <HOST>), as fail2ban-regex")->expected(2);
  g->add_flag("-v,--verbose", go.verbose, "--test-rule: list every matched line");
  g->add_option("--listen", go.listen, "serve /metrics on this address (host:port)");
  g->add_option("--state", go.state, "the ban list and read positions (SQLite; default guard.state, db:, /var/lib/reach/guard.db)");
  g->add_option("--table", go.table, "the nftables table (inet) guard owns (default reach)");
  netns.add_to(g, NetnsUse::run);
  auto* g_check = g->add_subcommand("check", "whether and why ADDR would be banned");
  g_check->add_option("addr", go.check, "the address")->required();
}

template <>
int GuardCommand::run(std::ostream& out) {
  if (!netns.enter("reach guard")) return 2;
  opts.netns = netns.json_label();
  return tools::run_guard(opts, out, std::cerr);
}

}  // namespace reach::app
