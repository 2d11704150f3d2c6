#include "engine/watch_dnsbl.hpp"

#include <fmt/format.h>

namespace reach::engine {

DnsblRound judge_dnsbl_round(const std::vector<model::DnsblOutcome>& zones) {
  using S = model::DnsblStatus;
  std::vector<std::string> listed, silent;
  bool clean = false;
  for (const auto& z : zones) {
    if (z.status == S::listed) {
      std::string what = fmt::format("{}", fmt::join(z.codes, ","));
      if (!z.txt.empty()) what += " \"" + z.txt + "\"";
      listed.push_back(fmt::format("{} ({})", z.zone, what));
    } else if (z.status == S::not_listed) {
      clean = true;
    } else {
      silent.push_back(fmt::format("{}: {}", z.zone, z.reason));
    }
  }
  DnsblRound r;
  const std::string others = silent.empty() ? "" : fmt::format("{}", fmt::join(silent, "; "));
  if (!listed.empty()) {
    r.reason = fmt::format("listed on {}", fmt::join(listed, ", "));
    if (!silent.empty()) r.reason += "; no verdict from " + others;
  } else if (clean) {
    r.success = true;
    if (!silent.empty()) r.reason = "not listed; no verdict from " + others;
  } else {
    r.no_verdict = true;
    r.reason = zones.empty() ? "no zone to ask" : "no zone told: " + others;
  }
  return r;
}

}  // namespace reach::engine
