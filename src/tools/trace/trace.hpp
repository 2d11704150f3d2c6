#pragma once
// `reach trace`: options in, trace engine and sockets wired, hops out through a writer.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "base/ip_addr.hpp"
#include "model/trace.hpp"
#include "tools/geo_option.hpp"

namespace reach::tools {

struct TraceOptions {
  std::string target;
  model::TraceMethod method = model::TraceMethod::udp;
  std::optional<int> port;            // -p: UDP base port 33434, TCP 80
  std::optional<Family> family;       // -4 / -6
  int first_ttl = 1;                  // -f
  int max_ttl = 30;                   // -m
  int queries = 3;                    // -q
  std::string wait = "5,3,10";        // -w MAX[,HERE[,NEAR]] as traceroute
  std::optional<int> window;          // -N probes in flight (default: 16 hops' worth, 16 x -q)
  double send_gap = 0;                // -z seconds between probes
  bool classic = false;
  std::string interface;              // -I name or source address
  bool numeric = false, json = false;
  bool report = false;                // --report: rounds, then the mtr table
  std::optional<int> count;           // -c rounds (--report / --live)
  double interval = 1.0;              // -i seconds between rounds
  bool live = false;
  bool mda = false;                   // --mda: every load-balanced path (Multipath Detection Algorithm)
  double alpha = 0.05;                // --alpha: per-hop chance of missing a next hop
  int max_probes = 5000;              // --max-probes: MDA budget
  GeoOptions geo;                     // --geo, --geo-db: country and AS of each hop (not with --mda)
};

// Exit code: 0 the target answered, 1 it did not (max hops, or a router refused), 2 an error,
// 130 interrupted by a signal (after printing what it found).
int run_trace(const TraceOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
