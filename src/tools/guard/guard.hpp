#pragma once
// `reach guard`: watches logs (files, the systemd journal), decides with the threshold engine
// (engine/guard_decide) and bans sources in the kernel's nftables sets (io/nft_sets) in batches;
// never the operator (allow-list, the SSH session's client, loopback, own addresses).
// Commands and every default: docs/GUARD.md.
#include <ostream>
#include <string>
#include <vector>

namespace reach::tools {

struct GuardOptions {
  std::string config;              // --config FILE (the YAML shared with watch and usage)
  bool validate = false;           // --validate: every error of the config with its line, then exit
  bool dry_run = false;            // --dry-run: decisions as NDJSON, zero netlink writes
  bool json = false;               // --json: the daemon's decisions as NDJSON on stdout
  bool list = false;               // --list
  std::string unban;               // --unban ADDR[/N]
  std::string ban;                 // --ban ADDR[/N] (the allow-list still applies)
  std::string ban_time;            // --ban-time DURATION for --ban (default: escalation's next)
  bool uninstall = false;          // --uninstall: delete our nftables table
  bool no_allow_ssh_client = false;  // --no-allow-ssh-client
  std::string check;               // `reach guard check ADDR`
  std::vector<std::string> test_rule;  // --test-rule RULES LOGFILE
  bool verbose = false;            // --test-rule: every matched line
  std::string listen;              // --listen ADDR: /metrics
  std::string state;               // --state FILE: overrides guard.state / db
  std::string table = "reach";     // --table NAME: the nftables table (inet)
  std::string netns;               // label of --netns, for the log
};

// Exit codes: 0 (done, or a daemon stopped by SIGTERM/SIGINT; `check`: not banned), 1 (`check`:
// banned now; --unban: no such ban), 2 bad input (flags, config: every error with its line),
// or a setup failure (nftables, the state file) with one line saying which.
int run_guard(const GuardOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
