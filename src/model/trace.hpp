#pragma once
// Plain results of `reach trace`: one probe's answer, the hops they make up, the whole path.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "model/ping.hpp"

namespace reach::model {

enum class TraceMethod : std::uint8_t { udp, icmp, tcp };

// One MPLS label stack entry a router quoted in an ICMP extension (RFC 4950).
struct MplsEntry {
  std::uint32_t label = 0;
  std::uint8_t tc = 0;  // traffic class (formerly EXP)
  bool bottom = false;  // S: last entry
  std::uint8_t ttl = 0;
  friend bool operator==(const MplsEntry&, const MplsEntry&) = default;
};

enum class TraceAnswer : std::uint8_t {
  none,           // not answered (yet): a timeout once resolved
  time_exceeded,  // a router on the way
  unreachable,    // an ICMP destination unreachable (port unreachable from the target: reached)
  reply,          // the target itself: echo reply, SYN-ACK or RST
};

struct TraceProbe {
  int ttl = 0;
  int index = 0;          // 0 .. queries-1 within its hop
  std::uint32_t id = 0;   // engine probe number
  std::uint16_t flow = 0; // flow identifier (MDA); 0 for an ordinary trace
  TimeNs sent = 0;        // timeline of the run (monotonic)
  TraceAnswer answer = TraceAnswer::none;
  IpAddr from;
  std::optional<TimeNs> rtt;
  StampSource tx_source = StampSource::user, rx_source = StampSource::user;
  StampDrop tx_drop = StampDrop::none, rx_drop = StampDrop::none;  // stamps that failed the RTT check
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::string flag;       // traceroute's annotation: "!H", "!X", "!<code>", empty for none
  int reply_ttl = -1;     // TTL / hop limit of the answer
  bool at_target = false; // the answer came from the target address
  bool late = false;      // answered after its wait had run out (still shown: the hop was open)
  std::uint16_t tcp_flags = 0;  // --tcp answers from the target
  std::vector<MplsEntry> mpls;  // label stack from the ICMP extensions, outermost first
};

struct TraceHop {
  int ttl = 0;
  std::vector<TraceProbe> probes;  // in probe order
};

struct TraceCounters {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t ignored = 0;     // quoted someone else's packet, malformed, or failed the keyed check
  std::uint64_t wrong_flow = 0;  // quoted our target and protocol, but not our five-tuple
  std::uint64_t duplicates = 0;  // a second answer to one probe (ICMP storms)
  std::uint64_t late = 0;        // answers after their hop was shown (not used)
  std::uint64_t stamps_dropped = 0;  // kernel stamps that failed the RTT check (engine/rtt.hpp)
};

struct TraceResult {
  std::vector<TraceHop> hops;
  bool reached = false;          // the target answered
  std::optional<int> final_ttl;  // the hop where the trace ended (target or terminal unreachable)
  TraceCounters counters;
  TimeNs elapsed = 0;
};

// One line of the --report table: one responding address of one hop (or "???" when none).
struct TraceReportRow {
  int ttl = 0;
  bool first_of_hop = true;
  std::optional<IpAddr> addr;
  std::uint64_t sent = 0;      // probes sent to this hop
  std::uint64_t received = 0;  // answers from this address
  std::uint64_t hop_received = 0;  // answers from any address at this hop
  double last_ms = 0, avg_ms = 0, best_ms = 0, worst_ms = 0, stdev_ms = 0;
};

}  // namespace reach::model
