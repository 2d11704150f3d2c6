#include "engine/trace_stats.hpp"

#include <algorithm>
#include <cmath>

namespace reach::engine {

void TraceStats::add_round(const model::TraceResult& r) {
  ++rounds_;
  last_ttl_ = r.hops.empty() ? last_ttl_ : r.hops.back().ttl;
  for (const auto& h : r.hops) {
    Hop& hop = hops_[h.ttl];
    for (const auto& p : h.probes) {
      if (p.flag == "!E") continue;  // never left this host
      ++hop.sent;
      if (p.answer == model::TraceAnswer::none || !p.rtt) continue;
      ++hop.received;
      auto [it, fresh] = hop.addrs.try_emplace(p.from);
      Addr& a = it->second;
      if (fresh) a.order = seen_++;
      double ms = ns_to_ms(*p.rtt);
      a.best = a.received ? std::min(a.best, ms) : ms;
      a.worst = a.received ? std::max(a.worst, ms) : ms;
      ++a.received;
      a.last = ms;
      a.sum += ms;
      a.sumsq += ms * ms;
    }
  }
}

std::vector<model::TraceReportRow> TraceStats::rows() const {
  std::vector<model::TraceReportRow> out;
  for (const auto& [ttl, hop] : hops_) {
    if (ttl > last_ttl_) break;
    model::TraceReportRow base;
    base.ttl = ttl;
    base.sent = hop.sent;
    base.hop_received = hop.received;
    if (hop.addrs.empty()) {
      out.push_back(base);
      continue;
    }
    std::vector<std::pair<IpAddr, Addr>> addrs(hop.addrs.begin(), hop.addrs.end());
    std::sort(addrs.begin(), addrs.end(), [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    bool first = true;
    for (const auto& [ip, a] : addrs) {
      model::TraceReportRow row = base;
      row.first_of_hop = first;
      first = false;
      row.addr = ip;
      row.received = a.received;
      double n = static_cast<double>(a.received);
      row.last_ms = a.last;
      row.avg_ms = a.sum / n;
      row.best_ms = a.best;
      row.worst_ms = a.worst;
      double var = a.received > 1 ? (a.sumsq - a.sum * a.sum / n) / (n - 1) : 0;  // sample stdev, as mtr
      row.stdev_ms = std::sqrt(std::max(var, 0.0));
      out.push_back(row);
    }
  }
  return out;
}

}  // namespace reach::engine
