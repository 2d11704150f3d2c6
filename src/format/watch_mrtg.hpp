#pragma once
// `reach watch --mrtg NAME`: MRTG's external-script output (mrtg-reference, "Target" with
// backticks): four lines — the "in" value, the "out" value, the uptime text, the target's name.
// For a watch target both are gauges (use `Options[]: gauge` in mrtg.cfg): in = the last round's
// median RTT in microseconds, out = its loss in percent, both integers as MRTG's log keeps them.
// A value that does not exist (no round yet; no reply, so no RTT) is "UNKNOWN", which MRTG logs
// as unknown instead of as 0.
#include <optional>
#include <string>
#include <string_view>

#include "model/watch.hpp"

namespace reach::format {

// uptime: how long the target has been in its current state (shown as "3 days, 02:10:05").
std::string watch_mrtg(const std::optional<model::RoundResult>& last, TimeNs uptime, std::string_view name);
// "3 days, 02:10:05", "1 day, 00:00:01", "00:05:00".
std::string mrtg_uptime(TimeNs uptime);

}  // namespace reach::format
