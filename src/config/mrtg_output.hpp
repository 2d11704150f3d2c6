#pragma once
// MRTG's external-script output: 4 lines — incoming counter, outgoing counter, uptime text,
// target name (MRTG reference, "External Monitoring Scripts"), so a script a user already runs
// for MRTG (e.g. CloudWatch to MRTG) becomes a `reach usage` source unchanged. Pure.
//
// Stricter than MRTG, which takes the first number anywhere on the line: a counter line is,
// once trimmed of blanks and CR, an unsigned decimal with an optional fraction (dropped: a
// float-printing script's "12345.0"); anything else, "UNKNOWN" included, is an error, since a
// guessed count would be a wrong count. The uptime and name lines may be missing (MRTG shows
// "unknown"); lines after the fourth are ignored, as MRTG does.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace reach::config {

struct MrtgReading {
  std::uint64_t in = 0, out = 0;   // counters
  std::string uptime, name;        // trimmed, printable() text
};
// Errors: {op "mrtg output", detail "line 1: ..."}.
Result<MrtgReading> parse_mrtg_output(std::string_view text);

}  // namespace reach::config
