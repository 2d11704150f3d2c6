#include "engine/watch_path.hpp"

#include <algorithm>

namespace reach::engine {

std::vector<model::PathHop> path_hops(const model::TraceResult& r) {
  std::vector<model::PathHop> out;
  for (const model::TraceHop& h : r.hops) {
    if (r.final_ttl && h.ttl > *r.final_ttl) break;
    model::PathHop p{h.ttl, std::nullopt, {}};
    for (const model::TraceProbe& pr : h.probes)
      if (pr.answer != model::TraceAnswer::none) {
        p.addr = pr.from;
        break;
      }
    out.push_back(p);
  }
  while (!out.empty() && !out.back().addr) out.pop_back();
  return out;
}

std::vector<model::PathHop> path_hops(const model::MultipathGraph& g) {
  std::vector<model::PathHop> out;
  for (const model::MpHop& h : g.hops) {
    std::vector<IpAddr> all;
    for (const auto& i : h.interfaces) all.push_back(i.addr);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    model::PathHop p{h.ttl, std::nullopt, {}};
    if (!all.empty()) {
      p.addr = all.front();
      p.also.assign(all.begin() + 1, all.end());
    }
    out.push_back(std::move(p));
  }
  while (!out.empty() && !out.back().addr) out.pop_back();
  return out;
}

namespace {
const model::PathHop* at(const std::vector<model::PathHop>& p, int ttl) {
  for (const auto& h : p)
    if (h.ttl == ttl) return &h;
  return nullptr;
}
int last_ttl(const std::vector<model::PathHop>& p) { return p.empty() ? 0 : p.back().ttl; }
}  // namespace

std::vector<model::PathDiffHop> diff_paths(const std::vector<model::PathHop>& before,
                                           const std::vector<model::PathHop>& after) {
  std::vector<model::PathDiffHop> out;
  const int first = std::min(before.empty() ? 1 : before.front().ttl, after.empty() ? 1 : after.front().ttl);
  const int last = std::max(last_ttl(before), last_ttl(after));
  for (int ttl = first; ttl <= last; ++ttl) {
    const model::PathHop* b = at(before, ttl);
    const model::PathHop* a = at(after, ttl);
    model::PathDiffHop d;
    d.ttl = ttl;
    if (b) d.before = b->addr, d.before_also = b->also;
    if (a) d.after = a->addr, d.after_also = a->also;
    const bool in_before = ttl <= last_ttl(before), in_after = ttl <= last_ttl(after);
    if (!in_after) d.change = model::HopChange::removed;
    else if (!in_before) d.change = model::HopChange::added;
    else if (!d.before || !d.after) d.change = model::HopChange::unknown;
    else d.change = *d.before == *d.after && d.before_also == d.after_also ? model::HopChange::same
                                                                           : model::HopChange::changed;
    out.push_back(d);
  }
  return out;
}

bool any_change(const std::vector<model::PathDiffHop>& d) {
  return std::any_of(d.begin(), d.end(), [](const auto& h) { return h.changed(); });
}

}  // namespace reach::engine
