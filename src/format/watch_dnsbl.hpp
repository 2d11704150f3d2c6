#pragma once
// The zones of a watch `dnsbl` round as JSON: in the round events (`--events`) and in the API's
// `last` (docs/JSON.md, docs/WATCH.md "DNS blocklists").
#include <vector>

#include <nlohmann/json.hpp>

#include "model/dnsbl.hpp"

namespace reach::format {

// [{"zone", "result" (listed / not-listed / error), "codes", "txt", "rcode", "reason",
//   "time_ms"}, ...] in the target's zone order.
nlohmann::json watch_dnsbl_json(const std::vector<model::DnsblOutcome>& zones);

}  // namespace reach::format
