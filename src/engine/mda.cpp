#include "engine/mda.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace reach::engine {

using model::FlowId;

namespace {

constexpr int kMaxK = 512;  // wider than any real balancer; keeps the table finite under fuzzing

// P(n uniform draws over K outcomes leave at least one unseen), by the chain on the number seen
// (exact and stable where inclusion-exclusion cancels badly).
int first_n_below(int K, double alpha) {
  std::vector<double> p(static_cast<std::size_t>(K) + 1, 0.0);
  p[0] = 1.0;
  for (int n = 1;; ++n) {
    for (int j = K; j >= 1; --j)
      p[j] = p[j] * j / K + p[j - 1] * (K - j + 1) / K;
    p[0] = 0.0;
    if (1.0 - p[K] <= alpha) return n;
  }
}

}  // namespace

int mda_stopping_point(int k, double alpha) {
  k = std::clamp(k, 1, kMaxK);
  alpha = std::clamp(alpha, 1e-9, 0.999);
  static std::mutex m;
  static std::map<std::pair<int, double>, int> cache;
  std::lock_guard<std::mutex> lock(m);
  auto [it, fresh] = cache.try_emplace({k, alpha}, 0);
  if (fresh) it->second = first_n_below(k + 1, alpha);
  return it->second;
}

struct MdaEngine::Hop {
  int ttl = 0;
  std::vector<IpAddr> ifaces;                   // discovery order
  std::map<IpAddr, bool> is_dest;
  std::map<IpAddr, std::set<FlowId>> flows_at;  // flows whose first answer here was this iface
  std::set<FlowId> probed;                      // flows sent (or queued) with this TTL
  std::uint32_t probes = 0, answers = 0, timeouts = 0;
  bool per_packet = false, full = false;
  std::set<FlowId> rechecked;
  std::set<IpAddr> back_tried, fwd_tried;       // link completion done for this iface
  std::map<IpAddr, int> control_spent;          // node-control probes spent for this iface

  std::size_t non_dest() const {
    return static_cast<std::size_t>(std::count_if(ifaces.begin(), ifaces.end(),
                                                   [&](const IpAddr& a) { return !is_dest.at(a); }));
  }
};

MdaEngine::MdaEngine(MdaOptions opts) : opts_(std::move(opts)) {
  opts_.first_ttl = std::clamp(opts_.first_ttl, 1, 255);
  opts_.max_ttl = std::clamp(opts_.max_ttl, opts_.first_ttl, 255);
  opts_.alpha = std::clamp(opts_.alpha, 1e-9, 0.999);
  opts_.gap_limit = std::max(opts_.gap_limit, 1);
  current_ = opts_.first_ttl;
}

MdaEngine::~MdaEngine() = default;
MdaEngine::MdaEngine(MdaEngine&&) noexcept = default;
MdaEngine& MdaEngine::operator=(MdaEngine&&) noexcept = default;

MdaEngine::Hop& MdaEngine::hop(int ttl) {
  auto& h = hops_[ttl];
  if (!h) {
    h = std::make_unique<Hop>();
    h->ttl = ttl;
  }
  return *h;
}

const MdaEngine::Hop* MdaEngine::find_hop(int ttl) const {
  const auto it = hops_.find(ttl);
  return it == hops_.end() ? nullptr : it->second.get();
}

void MdaEngine::enqueue(int ttl, FlowId flow) {
  queue_.push_back({ttl, flow});
  hop(ttl).probed.insert(flow);
}

std::vector<MdaProbe> MdaEngine::next(std::size_t budget) {
  if (!stop_ && queue_.empty() && outstanding_.empty()) plan();
  std::vector<MdaProbe> out;
  std::size_t taken = 0;
  while (taken < queue_.size() && out.size() < budget) {
    if (sent_ >= opts_.max_probes) {
      stop_ = model::MpStop::budget;
      break;
    }
    const MdaProbe p = queue_[taken++];
    if (!outstanding_.insert({p.ttl, p.flow}).second) continue;  // never twice in flight
    ++hop(p.ttl).probes;
    ++sent_;
    out.push_back(p);
  }
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
  if (stop_) queue_.clear();
  return out;
}

void MdaEngine::on_answer(int ttl, FlowId flow, const IpAddr& from, bool is_destination) {
  if (outstanding_.erase({ttl, flow}) == 0) {
    ++ignored_;
    return;
  }
  Hop& h = hop(ttl);
  ++h.answers;
  if (std::find(h.ifaces.begin(), h.ifaces.end(), from) == h.ifaces.end()) {
    h.ifaces.push_back(from);
    h.is_dest[from] = false;
  }
  h.is_dest[from] = h.is_dest[from] || is_destination;
  auto& slot = trajectory_[flow][ttl];
  if (slot && !(*slot == from)) h.per_packet = true;  // same flow, same TTL, another interface
  if (!slot) slot = from;
  h.flows_at[from].insert(flow);
}

void MdaEngine::on_timeout(int ttl, FlowId flow) {
  if (outstanding_.erase({ttl, flow}) == 0) {
    ++ignored_;
    return;
  }
  ++hop(ttl).timeouts;
  trajectory_[flow].try_emplace(ttl, std::nullopt);
}

bool MdaEngine::done() const { return stop_.has_value() && outstanding_.empty(); }

// The hop rule (MDA-Lite): probe the hop as a whole until n_k flows for its k interfaces. In full
// MDA it only seeds the first hop and hops after a silent or per-packet one; node control does
// the rest.
bool MdaEngine::plan_hop_rule(Hop& h) {
  const Hop* prev = find_hop(h.ttl - 1);
  const bool first = h.ttl == opts_.first_ttl;
  const bool controllable = prev && !first && prev->non_dest() > 0 && !prev->per_packet;
  // A new hop starts with a scout: one flow through each interface of the previous hop. It is
  // enough when the scout shows the destination alone, or a lone first hop (the shortcuts).
  const std::size_t scout = controllable ? prev->non_dest() : 1;
  std::size_t want = 0;
  if (h.probed.empty()) want = scout;
  else if (destination_reached(h)) return false;
  else if (first && opts_.single_first_hop && h.ifaces.size() <= 1) return false;
  else if (!opts_.lite && controllable) return false;  // full MDA: node control does the rest
  else want = static_cast<std::size_t>(mda_stopping_point(static_cast<int>(std::max<std::size_t>(1, h.ifaces.size())), opts_.alpha));
  if (h.probed.size() >= want) return false;
  std::size_t need = want - h.probed.size();
  // Reuse the previous hop's flows first, round-robin over its interfaces so every one of them
  // gets a link, then its unanswered flows, then fresh flows.
  if (prev) {
    std::vector<std::vector<FlowId>> lanes;
    for (const auto& a : prev->ifaces) {
      if (prev->is_dest.at(a)) continue;
      std::vector<FlowId> lane;
      for (FlowId f : prev->flows_at.at(a))
        if (!h.probed.count(f)) lane.push_back(f);
      lanes.push_back(std::move(lane));
    }
    for (std::size_t i = 0; need > 0; ++i) {
      bool any = false;
      for (auto& lane : lanes) {
        if (i < lane.size() && need > 0 && !h.probed.count(lane[i])) {
          enqueue(h.ttl, lane[i]);
          --need;
          any = true;
        }
      }
      if (!any) break;
    }
    for (FlowId f : prev->probed) {
      if (need == 0) break;
      const auto t = trajectory_.find(f);
      const bool silent = t != trajectory_.end() && t->second.count(prev->ttl) && !t->second.at(prev->ttl);
      if (silent && !h.probed.count(f)) {
        enqueue(h.ttl, f);
        --need;
      }
    }
  }
  for (; need > 0; --need) enqueue(h.ttl, new_flow());
  return true;
}

// Every answer at this hop came from the destination: like scamper's tracelb we take the
// destination to sit behind a router that does not balance it against another next hop.
bool MdaEngine::destination_reached(const Hop& h) const {
  return opts_.destination_shortcut && !h.ifaces.empty() && h.non_dest() == 0 && h.timeouts == 0;
}

bool MdaEngine::plan_per_packet(Hop& h) {
  if (h.ifaces.size() < 2 || h.per_packet) return false;
  if (h.rechecked.size() >= static_cast<std::size_t>(std::max(opts_.per_packet_checks, 0))) return false;
  bool any = false;
  for (const auto& a : h.ifaces) {
    for (FlowId f : h.flows_at.at(a)) {
      if (h.rechecked.size() >= static_cast<std::size_t>(opts_.per_packet_checks)) break;
      if (h.rechecked.insert(f).second) {
        queue_.push_back({h.ttl, f});
        any = true;
        break;  // one flow per interface, then the next interface
      }
    }
  }
  return any;
}

namespace {
// The first answer of `flow` at `ttl`, if any.
std::optional<IpAddr> answer_at(const std::map<FlowId, std::map<int, std::optional<IpAddr>>>& traj,
                                FlowId flow, int ttl) {
  const auto t = traj.find(flow);
  if (t == traj.end()) return std::nullopt;
  const auto a = t->second.find(ttl);
  return a == t->second.end() ? std::nullopt : a->second;
}
}  // namespace

// Every interface of this hop gets one predecessor and every interface of the previous hop one
// successor, with a single probe each, so the graph has no dangling vertex. Where one side is a
// single interface the links are implied (see result()) and cost nothing.
bool MdaEngine::plan_link_completion(int ttl) {
  Hop& h = hop(ttl);
  Hop* prev = ttl > opts_.first_ttl ? &hop(ttl - 1) : nullptr;
  if (!prev || prev->ifaces.empty() || h.ifaces.empty()) return false;
  bool any = false;
  for (const auto& a : h.ifaces) {
    if (prev->ifaces.size() == 1) break;
    const auto& fl = h.flows_at.at(a);
    const bool linked = std::any_of(fl.begin(), fl.end(), [&](FlowId f) { return answer_at(trajectory_, f, ttl - 1).has_value(); });
    if (linked || !h.back_tried.insert(a).second) continue;
    for (FlowId f : fl)
      if (!prev->probed.count(f)) {
        enqueue(ttl - 1, f);
        any = true;
        break;
      }
  }
  for (const auto& a : prev->ifaces) {
    if (prev->is_dest.at(a) || h.ifaces.size() == 1) continue;
    const auto& fl = prev->flows_at.at(a);
    const bool linked = std::any_of(fl.begin(), fl.end(), [&](FlowId f) { return answer_at(trajectory_, f, ttl).has_value(); });
    if (linked || !prev->fwd_tried.insert(a).second) continue;
    for (FlowId f : fl)
      if (!h.probed.count(f)) {
        enqueue(ttl, f);
        any = true;
        break;
      }
  }
  return any;
}

// node_floor: a hop after a wide one checks each interface's out-degree with n_1 of its flows.
bool MdaEngine::needs_floor(int ttl) const {
  const Hop* prev = find_hop(ttl - 1);
  return opts_.lite && opts_.node_floor && prev && ttl > opts_.first_ttl && !prev->per_packet &&
         prev->non_dest() >= 2;
}

// MDA-Lite falls back to node control when its uniformity assumption looks wrong between the
// previous hop and this one: interfaces with different out-degrees (unequal branches), or an
// interface with several successors feeding one with several predecessors (meshing).
bool MdaEngine::needs_full(int ttl) const {
  const Hop* prev = find_hop(ttl - 1);
  const Hop* h = find_hop(ttl);
  if (!prev || !h || ttl <= opts_.first_ttl || prev->per_packet || prev->non_dest() == 0) return false;
  if (!opts_.lite) return true;
  if (prev->non_dest() < 2) return false;
  std::map<IpAddr, std::set<IpAddr>> succ, pred;
  for (const auto& a : prev->ifaces) {
    if (prev->is_dest.at(a)) continue;
    for (FlowId f : prev->flows_at.at(a))
      if (const auto b = answer_at(trajectory_, f, ttl)) {
        succ[a].insert(*b);
        pred[*b].insert(a);
      }
  }
  std::set<std::size_t> degrees;
  for (const auto& a : prev->ifaces)
    if (!prev->is_dest.at(a)) degrees.insert(succ[a].size());
  if (degrees.size() > 1) return true;
  const bool fan_out = std::any_of(succ.begin(), succ.end(), [](const auto& s) { return s.second.size() > 1; });
  const bool fan_in = std::any_of(pred.begin(), pred.end(), [](const auto& p) { return p.second.size() > 1; });
  return fan_out && fan_in;
}

// Node control (full MDA): each interface r of the previous hop must have n_k of its own flows
// probed at this TTL, k being the successors seen from r; when r has too few flows, fresh flows
// are sent to the previous hop to find more that go through r. `floor` (MDA-Lite) asks only n_1
// per interface: enough to trust the out-degrees needs_full() compares.
bool MdaEngine::plan_node_control(int ttl, bool floor) {
  Hop& h = hop(ttl);
  Hop& prev = hop(ttl - 1);
  if (!floor) h.full = true;
  std::size_t deficit = 0;
  bool any = false;
  for (const auto& r : prev.ifaces) {
    if (prev.is_dest.at(r)) continue;
    std::set<IpAddr> succ;
    std::size_t probed = 0;
    std::vector<FlowId> unprobed;
    for (FlowId f : prev.flows_at.at(r)) {
      if (h.probed.count(f)) {
        ++probed;
        if (const auto b = answer_at(trajectory_, f, ttl)) succ.insert(*b);
      } else {
        unprobed.push_back(f);
      }
    }
    const int k = floor ? 1 : static_cast<int>(std::max<std::size_t>(1, succ.size()));
    const std::size_t want = static_cast<std::size_t>(mda_stopping_point(k, opts_.alpha));
    if (probed >= want) continue;
    std::size_t need = want - probed;
    for (std::size_t i = 0; i < unprobed.size() && need > 0; ++i, --need) {
      enqueue(ttl, unprobed[i]);
      any = true;
    }
    // Give up on an interface that node control cannot reach often enough (a rare branch):
    // the budget is better spent elsewhere.
    const int cap = 4 * static_cast<int>(want) * static_cast<int>(std::max<std::size_t>(1, prev.ifaces.size()));
    if (need > 0 && prev.control_spent[r] < cap) deficit = std::max(deficit, need);
  }
  if (any) return true;
  if (deficit == 0) return false;
  // Fresh flows land on r with probability about 1/width: send enough for the neediest.
  const std::size_t batch = deficit * std::max<std::size_t>(1, prev.non_dest());
  for (std::size_t i = 0; i < batch; ++i) enqueue(ttl - 1, new_flow());
  for (const auto& r : prev.ifaces) prev.control_spent[r] += static_cast<int>(batch);
  return true;
}

void MdaEngine::plan() {
  while (!stop_) {
    Hop& h = hop(current_);
    if (plan_hop_rule(h)) return;
    if (current_ > opts_.first_ttl && plan_hop_rule(hop(current_ - 1))) return;
    if (!destination_reached(h)) {
      if (plan_link_completion(current_)) return;
      if (needs_floor(current_) && plan_node_control(current_, true)) return;
      // Meshing or unequal branches can also be a per-packet balancer at the previous hop, which
      // node control cannot steer: re-probe a few of its flows first.
      if (needs_full(current_) && plan_per_packet(hop(current_ - 1))) return;
      if (needs_full(current_) && plan_node_control(current_, false)) return;
    }
    // This hop is finished.
    silent_run_ = h.ifaces.empty() ? silent_run_ + 1 : 0;
    const bool all_dest = !h.ifaces.empty() && h.non_dest() == 0;
    if (all_dest) stop_ = model::MpStop::destination;
    else if (current_ >= opts_.max_ttl) stop_ = model::MpStop::max_ttl;
    else if (silent_run_ >= opts_.gap_limit) stop_ = model::MpStop::gap_limit;
    else ++current_;
  }
}

model::MultipathGraph MdaEngine::result() const {
  model::MultipathGraph g;
  g.destination = opts_.destination;
  g.first_ttl = opts_.first_ttl;
  g.max_ttl = opts_.max_ttl;
  g.alpha = opts_.alpha;
  g.algorithm = opts_.lite ? "mda-lite" : "mda";
  g.probes_sent = sent_;
  g.ignored = ignored_;
  g.stop = stop_.value_or(model::MpStop::budget);
  for (const auto& [ttl, h] : hops_) {
    if (ttl > current_ && h->probes == 0) continue;  // planned past the end, never sent
    model::MpHop out;
    out.ttl = ttl;
    out.probes = h->probes;
    out.answers = h->answers;
    out.timeouts = h->timeouts;
    out.per_packet = h->per_packet;
    out.full_mda = h->full;
    for (const auto& a : h->ifaces) {
      const auto& fl = h->flows_at.at(a);
      out.interfaces.push_back({a, h->is_dest.at(a), std::vector<FlowId>(fl.begin(), fl.end())});
    }
    g.hops.push_back(std::move(out));
  }
  std::set<std::tuple<int, IpAddr, int, IpAddr>> links;
  for (const auto& [flow, traj] : trajectory_) {
    std::optional<std::pair<int, IpAddr>> last;
    for (const auto& [ttl, ans] : traj) {
      if (!ans) continue;
      if (last) {
        bool silent_between = true;
        for (int t = last->first + 1; t < ttl; ++t) {
          const Hop* mid = find_hop(t);
          if (mid && !mid->ifaces.empty()) silent_between = false;
        }
        const Hop* from = find_hop(last->first);
        if (silent_between && from && !from->is_dest.at(last->second))
          links.insert({last->first, last->second, ttl, *ans});
      }
      last = {ttl, *ans};
    }
  }
  // Implied links: a lone interface at one of two consecutive hops links to every interface of
  // the other (the flows between them had nowhere else to go).
  for (const auto& [ttl, h] : hops_) {
    const Hop* prev = find_hop(ttl - 1);
    if (!prev || prev->ifaces.empty() || h->ifaces.empty()) continue;
    if (prev->ifaces.size() != 1 && h->ifaces.size() != 1) continue;
    for (const auto& a : prev->ifaces)
      if (!prev->is_dest.at(a))
        for (const auto& b : h->ifaces) links.insert({ttl - 1, a, ttl, b});
  }
  for (const auto& [ft, fa, tt, ta] : links) g.links.push_back({ft, fa, tt, ta});
  return g;
}

}  // namespace reach::engine
