#pragma once
// The verdict of one snmp round of `reach watch`: the values read, counters turned into
// per-second rates (wrap of 32-bit counters handled), thresholds checked. Pure: the tool matches
// the agent's answer to the configured OIDs and passes the time of the answer in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "config/watch_snmp.hpp"
#include "model/watch.hpp"

namespace reach::engine {

// What came back for one OID, with the SNMP type reduced to what the verdict needs.
enum class SnmpKind : std::uint8_t {
  integer, counter32, counter64, gauge32, timeticks, text, other,
  no_such_object, no_such_instance, end_of_mib_view, missing  // missing: not in the answer
};
struct SnmpRead {
  SnmpKind kind = SnmpKind::missing;
  std::uint64_t number = 0;  // integer: the two's complement of a signed value
  std::string text;          // kind text
};

// A counter reading kept for the next round's rate.
struct SnmpSample {
  SnmpKind kind = SnmpKind::missing;
  std::uint64_t number = 0;
  TimeNs at = 0;  // monotonic time of the answer
};

// Per second from `prev` to `now`. Counter32 that went down wrapped once (+2^32, as MRTG does);
// Counter64 that went down was reset (an agent restart; 2^64 takes centuries to wrap): nullopt.
// Gauges and integers give their signed change per second. nullopt: no time passed, the kinds
// differ, or not a number.
std::optional<double> snmp_rate(const SnmpSample& prev, const SnmpSample& now);

struct SnmpVerdict {
  bool success = false;
  std::string reason;                    // the first problem, "" when success
  std::vector<model::SnmpValue> values;  // one per configured OID
};

// Judges one answer. `reads[i]` answers `oids[i]`; `last` holds each rate OID's previous sample
// (resized to oids.size(), updated in place). A round is up when every OID has a number or text
// and every threshold holds; the first round of a rate OID has no rate and passes its threshold.
SnmpVerdict judge_snmp(const std::vector<config::SnmpOidSpec>& oids, const std::vector<SnmpRead>& reads,
                       TimeNs at, std::vector<std::optional<SnmpSample>>& last);

}  // namespace reach::engine
