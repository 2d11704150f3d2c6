#pragma once
// What every daemon (watch, usage, relay, guard) does with signals and its standard output,
// decided here once so none of them differs:
// - SIGINT, SIGTERM: stop.
// - SIGHUP: reload the config file; a daemon started from the command line alone has nothing to
//   reload and says so in one line. SIGHUP must never end a daemon (its default action):
//   logrotate's postrotate, `systemctl reload` and a closed terminal all send it.
// - A standard output whose reader went away (`reach relay --json | logger`, `| head -1`) is
//   said once and the daemon keeps serving (sys::keep_serving_when_output_fails); a bounded run
//   (`reach watch --once`) keeps ending as ping does instead.
// Call it before any thread starts: the signals are blocked for the process and read on the loop.
#include <functional>
#include <string>

#include "base/error.hpp"
#include "io/reactor.hpp"

namespace reach::io {

struct DaemonSignals {
  std::string name;                              // "reach watch": begins the stdout line
  std::function<void()> stop;                    // SIGINT, SIGTERM
  std::function<void()> reload;                  // SIGHUP; empty: started from the command line
  std::function<void(const std::string&)> say;   // where the line of a SIGHUP with nothing to reload goes
  bool outlive_output = true;                    // false: a bounded run, its closed stdout ends it
};

// The line said for a SIGHUP to a daemon started from the command line.
inline constexpr const char* kNothingToReload = "SIGHUP: started from the command line, nothing to reload";

Result<void> handle_daemon_signals(Reactor& loop, DaemonSignals s);

}  // namespace reach::io
