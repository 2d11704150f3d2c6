#pragma once
// What one round of a watch `dnsbl` target means for its alert state (docs/WATCH.md, "DNS
// blocklists"): the per-zone verdicts of engine/dnsbl turned into one success/failure.
#include <string>
#include <vector>

#include "model/dnsbl.hpp"

namespace reach::engine {

struct DnsblRound {
  bool success = false;     // up: listed nowhere, and at least one zone said so
  bool no_verdict = false;  // no zone told (each one an error): neither up nor down
  std::string reason;       // the listings (with their codes and TXT), else the zones that did not tell
};

// Listed on any zone: down, whatever the other zones said. Else not listed on at least one zone:
// up (the zones that did not tell are named in the reason). Else (every zone an error, or no
// zone): no verdict: a zone that does not answer never counts as a listing, and a resolver that
// is down says nothing about our address, so the alert state stays as it was.
DnsblRound judge_dnsbl_round(const std::vector<model::DnsblOutcome>& zones);

}  // namespace reach::engine
