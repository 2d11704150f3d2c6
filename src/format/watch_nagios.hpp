#pragma once
// `reach watch --once --nagios`: one round per target as a Nagios plugin (for NRPE), per the
// plugin guidelines (nagios-plugins.org/doc/guidelines.html): first line
// "WATCH STATE: text | perfdata", exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, then one line
// per target that is not OK. Perfdata as check_icmp writes it for ICMP (rta/rtmin/rtmax in ms
// with three decimals, pl in % with min 0 max 100; labels quoted, as `reach check` does), so
// existing graph templates apply, plus
// rtmedian; other probes `time` in seconds (as check_tcp/check_http) and, for HTTP, `size` in B.
// With several targets each label is prefixed "<target>_".
#include <optional>
#include <ostream>
#include <vector>

#include "format/check_writer.hpp"
#include "model/watch.hpp"

namespace reach::format {

struct WatchNagiosThresholds {
  // On the round's mean RTT (ICMP: rta) or, for other probes, its time; seconds.
  std::optional<double> warn_rtt_s, crit_rtt_s;
  // On the round's loss, percent.
  std::optional<double> warn_loss_pct, crit_loss_pct;
};

// A failed round is CRITICAL; otherwise the worst threshold crossed.
NagiosState watch_nagios_state(const model::RoundResult& r, const WatchNagiosThresholds& t);
// No rounds: UNKNOWN. Returns the exit code.
int write_watch_nagios(std::ostream& out, const std::vector<model::RoundResult>& rounds,
                       const WatchNagiosThresholds& t);

}  // namespace reach::format
