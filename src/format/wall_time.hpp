#pragma once
// Wall-clock times as the watch exports spell them, always in UTC. Pure: the caller passes unix
// nanoseconds (formatters never read a clock).
#include <string>

#include "base/time.hpp"

namespace reach::format {

// Unix seconds as a double without the rounding of ns / 1e9 on a 19-digit integer
// (1796032800.25, not 1796032800.2499998): whole seconds and the fraction converted apart.
double unix_seconds(TimeNs unix_ns);
// Go's time.RFC3339Nano as Alertmanager writes it: "2026-11-30T10:00:00.5Z" (fraction's trailing
// zeros dropped, no fraction when whole seconds).
std::string rfc3339_nano(TimeNs unix_ns);
// RFC 5424 TIMESTAMP: six fraction digits, the most it allows: "2026-11-30T10:00:00.500000Z".
std::string rfc3339_micro(TimeNs unix_ns);
// RFC 5322 §3.3 date-time for mail: "Mon, 30 Nov 2026 10:00:00 +0000".
std::string rfc5322_date(TimeNs unix_ns);

}  // namespace reach::format
