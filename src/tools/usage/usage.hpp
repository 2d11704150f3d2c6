#pragma once
// `reach usage`: bytes per billing cycle against a data cap (docs/USAGE.md). `--daemon` counts
// and alerts; without it, a report from the same database (also while the daemon runs).
#include <optional>
#include <ostream>
#include <string>

namespace reach::tools {

struct UsageOptions {
  std::string config;          // --config FILE (the YAML shared with reach watch)
  std::optional<std::string> db;  // --db FILE: overrides `db:` (given empty: an error)
  bool daemon = false;         // --daemon
  std::string plan;            // --plan NAME: report this plan only
  bool days = false, months = false;  // history like vnstat -d / -m (months: billing cycles)
  bool json = false;           // --json: NDJSON (docs/JSON.md)
  bool vnstat_json = false;    // --vnstat-json: vnStat's jsonversion 2
  std::string mrtg;            // --mrtg NAME: MRTG's 4 lines for one source (name or id)
  bool nagios = false;         // --nagios -w 80% -c 90%
  std::string warning = "80%", critical = "90%";
  std::string unblock;         // --unblock PLAN: removes the plan's interfaces from the block set
  bool validate = false;       // --validate: every error with its line, then exit (0 ok, 2 errors)
};

// Exit codes: 0 (a report, or a daemon stopped by SIGTERM/SIGINT), 1 nothing to report yet,
// 2 bad input (flags, config: every error with its line) or a database that cannot be opened;
// --nagios: 0/1/2/3.
int run_usage(const UsageOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
