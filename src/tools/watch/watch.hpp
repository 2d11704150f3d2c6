#pragma once
// `reach watch`: probe many targets continuously, decide when one is really down, tell someone,
// keep history, export it (docs/WATCH.md). Targets from the command line (a live table, like
// mtr for many hosts) or a YAML config file (a daemon with an HTTP API).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/watch_config.hpp"

namespace reach::tools {

struct WatchOptions {
  // host (ICMP), tcp|syn|udp://host:port, http(s)://url, dns://server[:port]/name[?type=AAAA]
  std::vector<std::string> targets;
  std::string config;               // --config FILE
  bool validate = false;            // --validate: check the config, print every error, exit
  bool once = false;                // --once: one round of every target, then exit
  std::optional<int> count;         // -c N: N rounds of every target, then the summary
  bool nagios = false;              // --nagios (with --once): plugin output and exit code
  std::string events;               // --events FILE|-: NDJSON events
  std::string history;              // --history NAME: print the stored history and exit
  std::string mrtg;                 // --mrtg NAME: MRTG's 4 lines for NAME and exit
  double history_hours = 24;        // --hours for --history
  bool live = false, no_live = false;  // force the table / the line per round
  config::WatchOverrides overrides; // --listen --db --modules --user --interval --timeout --packets
  std::string netns;                // --netns/--netns-pid as events name it (main enters it)
};

// Exit codes: 0 every target up (command line) or a clean stop (daemon); 1 a target down at the
// end of a command-line run; 2 bad input (flags, config: every error with its line); with
// --nagios, the plugin codes 0/1/2/3.
int run_watch(const WatchOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
