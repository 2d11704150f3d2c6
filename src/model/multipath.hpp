#pragma once
// What the Multipath Detection Algorithm found toward one destination: the interfaces at each
// hop, the links between interfaces of consecutive responding hops, and what it cost.
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"

namespace reach::model {

// A flow identifier: the caller maps each small integer to one five-tuple (e.g. a source port).
using FlowId = std::uint32_t;

struct MpInterface {
  IpAddr addr;
  bool is_destination = false;
  std::vector<FlowId> flows;  // flows that reached this interface at this hop, ascending
};

struct MpHop {
  int ttl = 0;
  std::vector<MpInterface> interfaces;  // in order of discovery; empty for a silent hop
  std::uint32_t probes = 0;    // probes sent with this TTL
  std::uint32_t answers = 0;
  std::uint32_t timeouts = 0;
  bool per_packet = false;     // one flow answered from two interfaces: a per-packet balancer
  bool full_mda = false;       // the links into this hop needed full MDA (node control)
};

// `from` answered at `from_ttl` and `to` at `to_ttl` for one flow; to_ttl > from_ttl + 1 only when
// every hop between them was silent.
struct MpLink {
  int from_ttl = 0;
  IpAddr from;
  int to_ttl = 0;
  IpAddr to;
  friend bool operator==(const MpLink&, const MpLink&) = default;
};

enum class MpStop : std::uint8_t {
  destination,  // every interface of the last hop is the destination
  max_ttl,      // reached the last TTL allowed
  gap_limit,    // too many silent hops in a row
  budget,       // the probe budget ran out
};

struct MultipathGraph {
  std::string target;          // as the user typed it; set by the caller, the engine leaves it empty
  IpAddr destination;
  int first_ttl = 1;
  int max_ttl = 30;
  double alpha = 0.05;         // per-vertex probability of missing a next hop
  std::string algorithm;       // "mda-lite" or "mda"
  std::vector<MpHop> hops;     // ascending TTL from first_ttl to the last hop probed
  std::vector<MpLink> links;   // sorted by (from_ttl, from, to_ttl, to), no duplicates
  std::uint64_t probes_sent = 0;
  std::uint64_t ignored = 0;   // answers for probes not outstanding (late, duplicate, forged)
  MpStop stop = MpStop::max_ttl;
};

inline const char* stop_name(MpStop s) {
  switch (s) {
    case MpStop::destination: return "destination";
    case MpStop::max_ttl: return "max_ttl";
    case MpStop::gap_limit: return "gap_limit";
    case MpStop::budget: return "budget";
  }
  return "?";
}

}  // namespace reach::model
