#include "tools/relay/defence.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sys/own_addresses.hpp"
#include "sys/procfs.hpp"

namespace reach::tools::relay {

namespace {

// A sink that keeps failing is said this often at most (the tick is 100 ms).
constexpr TimeNs kBanErrorEvery = 10 * kNsPerSec;
constexpr std::size_t kMaxEvents = 1000;
constexpr std::size_t kMaxPending = 100000;  // bans waiting for the kernel (a failing sink)
constexpr std::size_t kTopPrefixes = 20;
// relay_limit events per tick (further refusals: events_dropped): half the event buffer, so the
// ban events of the same tick always find room.
constexpr std::size_t kMaxHitClients = 500;
// Prefixes whose evictions /metrics keeps a count of (the top ones are shown).
constexpr std::size_t kMaxEvictPrefixes = 4096;

// What the kernel sets never take: the allow-list and this host's own addresses (a flood that
// shares the relay's /64 must not cut the host off from itself, as guard never bans them either).
std::vector<IpPrefix> kernel_allow(const std::vector<IpPrefix>& allow) {
  std::vector<IpPrefix> out = allow;
  if (auto own = sys::own_addresses())
    for (const IpAddr& a : *own) out.push_back(prefix_of(a, a.is_v4() ? 32 : 128));
  return out;
}

}  // namespace

SynCookies read_syn_cookies() {
  SynCookies s;
  auto text = sys::read_text_file("/proc/sys/net/ipv4/tcp_syncookies");
  if (text && !text->empty() && (*text)[0] >= '0' && (*text)[0] <= '9') s.value = std::atoi(text->c_str());
  return s;
}

std::string SynCookies::text() const {
  switch (value) {
    case 0:
      return "SYN cookies off (net.ipv4.tcp_syncookies=0): a SYN flood can fill the SYN queue; "
             "sysctl -w net.ipv4.tcp_syncookies=1";
    case 1: return "SYN cookies on when the SYN queue overflows (net.ipv4.tcp_syncookies=1)";
    case 2: return "SYN cookies always on (net.ipv4.tcp_syncookies=2)";
    case -1: return "SYN cookies unknown (cannot read /proc/sys/net/ipv4/tcp_syncookies)";
    default: return "SYN cookies net.ipv4.tcp_syncookies=" + std::to_string(value);
  }
}

Defence::Defence(DefenceConfig config, BanSink sink)
    : config_(std::move(config)), limits_(config_.limits), sink_(std::move(sink)) {}

std::unique_ptr<Defence> Defence::create(DefenceConfig config, BanSink sink) {
  const bool want = config.limits.blackhole;
  std::unique_ptr<Defence> d(new Defence(std::move(config), std::move(sink)));
  d->syn_cookies_ = read_syn_cookies();
  if (!want) {
    d->sink_ = {};
    d->blackhole_status_ = "black-hole off (disabled): bans are enforced by the relay only";
  } else if (d->sink_) {
    d->blackhole_status_ = "black-hole: custom sink";
  } else {
    auto sets = io::NftSets::open(d->config_.nft);
    Result<void> ready = sets ? Result<void>{} : Result<void>(tl::unexpected(sets.error()));
    if (sets) {
      sets->set_allow_list(kernel_allow(d->config_.limits.allow));
      ready = sets->ensure();
    }
    if (ready) {
      sets->release();  // loaded again by the first ban batch (io/nft_ctx.hpp)
      d->nft_ = std::make_unique<io::NftSets>(std::move(*sets));
      io::NftSets* n = d->nft_.get();
      d->sink_ = [n](std::span<const io::Ban> bans) { return n->add(bans); };
      d->blackhole_status_ = "black-hole: nftables table inet " + d->config_.nft.table;
    } else {
      d->blackhole_status_ = "black-hole off: " + ready.error().message() + " (bans are enforced by the relay only)";
    }
  }
  nlohmann::json e = {{"type", "relay_defence"},
                      {"version", 1},
                      {"syn_cookies", d->syn_cookies_.value},
                      {"blackhole", static_cast<bool>(d->sink_)},
                      {"message", d->syn_cookies_.text() + "; " + d->blackhole_status_}};
  d->event(e.dump());
  return d;
}

Admit Defence::counted(const Admit& a) {
  if (a.ok)
    ++counters_.admitted;
  else
    ++counters_.refused[static_cast<std::size_t>(a.reason)];
  return a;
}

Admit Defence::admit(const IpAddr& peer, TimeNs now, bool can_evict) {
  const Admit a = limits_.admit(peer, now);
  if (can_evict && evict_for(a)) return a;  // asked again once a connection made room
  counted(a);
  note_hit(peer, a);
  return a;
}

bool Defence::evict_for(const Admit& a) const {
  if (a.ok) return false;
  // memory is also the reason of a full prefix table: only the cap itself is moved by a close.
  return a.reason == Refusal::global_conns || (a.reason == Refusal::memory && limits_.saturated());
}

IpPrefix Defence::prefix_for(const IpAddr& a) const {
  const IpAddr u = unmap_v4(a);
  return prefix_of(u, u.is_v4() ? config_.limits.v4.len : config_.limits.v6.len);
}

void Defence::evicted(const IpAddr& victim, Refusal reason, TimeNs) {
  ++counters_.evicted[static_cast<std::size_t>(reason)];
  const IpPrefix p = prefix_for(victim);
  auto it = evicted_by_prefix_.find(p);
  if (it == evicted_by_prefix_.end()) {
    // Full: the prefixes evicted from once make room; a table of heavier ones stays as it is.
    if (evicted_by_prefix_.size() >= kMaxEvictPrefixes)
      std::erase_if(evicted_by_prefix_, [](const auto& kv) { return kv.second <= 1; });
    if (evicted_by_prefix_.size() < kMaxEvictPrefixes) evicted_by_prefix_.emplace(p, 1);
  } else {
    ++it->second;
  }
  if (LimitHit* h = hit_slot(evicts_, p)) {
    h->reason = reason;
    h->prefix = p;
    ++h->count;
  }
}

template <class K>
Defence::LimitHit* Defence::hit_slot(std::map<K, LimitHit>& m, const K& k) {
  auto it = m.find(k);
  if (it != m.end()) return &it->second;
  if (m.size() >= kMaxHitClients) {
    ++events_dropped_;
    return nullptr;
  }
  return &m.emplace(k, LimitHit{}).first->second;
}

void Defence::flush_evicts() {
  for (const auto& [p, h] : evicts_) {
    const std::string reason(engine::refusal_name(h.reason));
    nlohmann::json e = {{"type", "relay_evict"},
                        {"version", 1},
                        {"prefix", p.to_string()},
                        {"reason", reason},
                        {"count", h.count},
                        {"message", "evicted " + std::to_string(h.count) + " connection(s) of " + p.to_string() +
                                        " still in their head phase: " + reason + " reached"}};
    event(e.dump());
  }
  evicts_.clear();
}

// Only the client's own prefix's limits name it: the global caps and memory are nobody's fault,
// and `banned` repeats what the relay_limit events before the ban already said.
void Defence::note_hit(const IpAddr& client, const Admit& a) {
  if (a.ok || (a.reason != Refusal::per_prefix_conns && a.reason != Refusal::per_prefix_rate)) return;
  if (LimitHit* h = hit_slot(hits_, client)) {
    h->reason = a.reason;
    h->prefix = a.prefix;
    ++h->count;
  }
}

void Defence::flush_hits() {
  for (const auto& [client, h] : hits_) {
    const std::string reason(engine::refusal_name(h.reason));
    nlohmann::json e = {{"type", "relay_limit"},
                        {"version", 1},
                        {"client", client.to_string()},
                        {"prefix", h.prefix.to_string()},
                        {"reason", reason},
                        {"count", h.count},
                        {"message", client.to_string() + " refused " + std::to_string(h.count) + "x: " + reason +
                                        " of " + h.prefix.to_string()}};
    event(e.dump());
  }
  hits_.clear();
}

void Defence::released(const IpAddr& peer, TimeNs now) { limits_.released(peer, now); }

Admit Defence::admit_upstream(const IpAddr& upstream, TimeNs now, bool can_evict) {
  const Admit a = limits_.admit_upstream(upstream, now);
  if (can_evict && evict_for(a)) return a;
  return counted(a);
}

Admit Defence::handover(const IpAddr& upstream, const IpAddr& client, TimeNs now) {
  const Admit a = limits_.handover(upstream, client, now);
  if (!a.ok) ++counters_.refused[static_cast<std::size_t>(a.reason)];
  note_hit(client, a);
  return a;
}

std::string Defence::reconfigure(const engine::RelayLimitsConfig& limits, TimeNs head_deadline,
                                 std::vector<IpPrefix> upstreams, std::span<const IpAddr> open, TimeNs now) {
  std::string note;
  engine::RelayLimitsConfig next = limits;
  if (next.blackhole != config_.limits.blackhole) {
    note = std::string("limits.blackhole stays ") + (config_.limits.blackhole ? "on" : "off") + " until a restart";
    next.blackhole = config_.limits.blackhole;
  }
  config_.limits = next;
  config_.head_deadline = head_deadline;
  config_.upstreams = std::move(upstreams);
  if (nft_) nft_->set_allow_list(kernel_allow(next.allow));
  limits_.reconfigure(std::move(next), open, now);
  return note;
}

void Defence::head_timed_out(const IpAddr&) { ++counters_.head_timeouts; }

void Defence::event(std::string line) {
  if (events_.size() >= kMaxEvents) {
    ++events_dropped_;
    return;
  }
  events_.push_back(std::move(line));
}

std::vector<std::string> Defence::take_events() { return std::exchange(events_, {}); }

Result<void> Defence::tick(TimeNs now) {
  if (now - last_evict_ >= kNsPerSec) {
    limits_.evict(now);
    last_evict_ = now;
  }
  flush_hits();
  flush_evicts();
  for (const IpPrefix& p : limits_.take_new_bans()) {
    const bool kernel = sink_ && !io::ban_refused(p, config_.upstreams);
    if (sink_ && !kernel) ++counters_.bans_allowed;
    const std::int64_t ban_s = config_.limits.ban_time / kNsPerSec;
    nlohmann::json e = {{"type", "relay_ban"},
                        {"version", 1},
                        {"prefix", p.to_string()},
                        {"ban_s", ban_s},
                        {"kernel", kernel},
                        {"message", fmt::format("ban {} for {}s ({})", p.to_string(), ban_s,
                                                kernel ? "kernel" : sink_ ? "relay only: it holds an allowed or own address" : "relay only")}};
    event(e.dump());
    if (kernel && pending_.size() < kMaxPending) pending_.push_back({p, config_.limits.ban_time});
  }
  // libnftables leaves the address space once no batch ran for limits.nft_idle.
  if (nft_ && pending_.empty() && nft_->loaded() && now - last_batch_ >= config_.limits.nft_idle) nft_->release();
  if (now - last_prune_ >= 60 * kNsPerSec) {
    std::erase_if(in_kernel_, [now](const auto& b) { return b.second <= now; });
    last_prune_ = now;
  }
  if (pending_.empty() || !sink_) return {};
  last_batch_ = now;
  auto r = sink_(pending_);
  std::size_t restored = 0;
  bool remade = false;
  if (!r && nft_) {
    // The table deleted from outside (`reach guard --uninstall`, `nft flush ruleset` when
    // nftables restarts): make it again, as guard does, and insert this batch with every ban the
    // deleted sets held. A table that cannot be made says why (a foreign one in the way), not
    // the add's "No such file or directory".
    if (auto made = nft_->ensure(); !made) {
      r = tl::unexpected(made.error());
    } else {
      std::vector<io::Ban> all = pending_;
      std::set<IpPrefix> batch;
      for (const io::Ban& b : pending_) batch.insert(b.prefix);
      for (const auto& [p, until] : in_kernel_)
        if (until > now && !batch.count(p)) all.push_back({p, until - now});
      restored = all.size() - pending_.size();
      r = sink_(all);
      remade = r.has_value();
      if (remade) {
        nlohmann::json e = {{"type", "relay_ban_recovered"}, {"version", 1}, {"restored", restored},
                            {"message", fmt::format("table inet {} made again (deleted from outside): {} earlier "
                                                    "ban{} inserted again", nft_->layout().table, restored,
                                                    restored == 1 ? "" : "s")}};
        event(e.dump());
      }
    }
  }
  if (!r) {
    ++counters_.ban_errors;
    sink_failing_ = true;
    const std::string msg = r.error().message();
    if (msg != last_ban_error_ || now - last_ban_error_event_ >= kBanErrorEvery) {
      nlohmann::json e = {{"type", "relay_ban_error"}, {"version", 1}, {"error", msg}, {"pending", pending_.size()},
                          {"message", fmt::format("bans not in the kernel: {} ({} waiting)", msg, pending_.size())}};
      event(e.dump());
      last_ban_error_ = msg;
      last_ban_error_event_ = now;
    }
    return tl::unexpected(r.error());
  }
  if (sink_failing_ && !remade) {
    nlohmann::json e = {{"type", "relay_ban_recovered"}, {"version", 1}, {"message", "bans reach the kernel again"}};
    event(e.dump());
  }
  for (const io::Ban& b : pending_)
    if (in_kernel_.size() < kMaxPending || in_kernel_.count(b.prefix)) in_kernel_[b.prefix] = now + b.timeout;
  sink_failing_ = false;
  last_ban_error_.clear();
  ++counters_.ban_batches;
  counters_.bans_pushed += r->added;
  counters_.bans_allowed += r->allowed;
  pending_.clear();
  return {};
}

std::vector<format::prom::Family> Defence::metric_families() const {
  using format::prom::Family;
  using format::prom::Type;
  std::vector<Family> out;
  Family hits{"reach_relay_limit_hits", Type::counter, "Refusals of the prefixes refused most (IPv4 /32 or /24, IPv6 /64 and /48).", {}};
  for (const auto& h : limits_.top_hits(kTopPrefixes))
    hits.samples.push_back({{{"prefix", h.prefix.to_string()}}, static_cast<double>(h.count)});
  out.push_back(std::move(hits));
  Family ev{"reach_relay_evictions", Type::counter,
            "Connections still in their head phase closed to admit a new one at a global cap, by the cap.", {}};
  for (Refusal r : {Refusal::global_conns, Refusal::memory})
    ev.samples.push_back({{{"reason", std::string(engine::refusal_name(r))}},
                          static_cast<double>(counters_.evicted[static_cast<std::size_t>(r)])});
  out.push_back(std::move(ev));
  std::vector<std::pair<std::uint64_t, IpPrefix>> most;
  most.reserve(evicted_by_prefix_.size());
  for (const auto& [p, n] : evicted_by_prefix_) most.emplace_back(n, p);
  const std::size_t shown = std::min(kTopPrefixes, most.size());
  std::partial_sort(most.begin(), most.begin() + static_cast<std::ptrdiff_t>(shown), most.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  Family eh{"reach_relay_eviction_hits", Type::counter, "Evictions of the prefixes evicted from most (IPv4 /32 or /24, IPv6 /64).", {}};
  for (std::size_t i = 0; i < shown; ++i)
    eh.samples.push_back({{{"prefix", most[i].second.to_string()}}, static_cast<double>(most[i].first)});
  out.push_back(std::move(eh));
  out.push_back({"reach_relay_bans", Type::counter, "Black-hole bans, by result.",
                 {{{{"result", "kernel"}}, static_cast<double>(counters_.bans_pushed)},
                  {{{"result", "allow_listed"}}, static_cast<double>(counters_.bans_allowed)},
                  {{{"result", "error"}}, static_cast<double>(counters_.ban_errors)}}});
  out.push_back({"reach_relay_tracked_prefixes", Type::gauge, "Prefixes the limits keep state for.",
                 {{{}, static_cast<double>(limits_.tracked_prefixes())}}});
  out.push_back({"reach_relay_blackhole_ready", Type::gauge, "1 when bans go to the kernel's nftables sets.",
                 {{{}, sink_ ? 1.0 : 0.0}}});
  out.push_back({"reach_relay_syn_cookies", Type::gauge, "net.ipv4.tcp_syncookies at start (-1: unreadable).",
                 {{{}, static_cast<double>(syn_cookies_.value)}}});
  return out;
}

}  // namespace reach::tools::relay

namespace reach::tools::relay {
namespace {

class DefenceGate final : public Gate {
 public:
  explicit DefenceGate(std::unique_ptr<Defence> d) : d_(std::move(d)) {}
  Verdict admit(const IpAddr& peer, TimeNs now, bool can_evict) override {
    return verdict(d_->admit(peer, now, can_evict), can_evict);
  }
  Verdict admit_upstream(const IpAddr& upstream, TimeNs now, bool can_evict) override {
    return verdict(d_->admit_upstream(upstream, now, can_evict), can_evict);
  }
  void evicted(const IpAddr& victim, const std::string& reason, TimeNs now) override {
    d_->evicted(victim, reason == "memory" ? Refusal::memory : Refusal::global_conns, now);
  }
  Verdict handover(const IpAddr& upstream, const IpAddr& client, TimeNs now) override {
    return verdict(d_->handover(upstream, client, now));
  }
  void released(const IpAddr& peer, TimeNs now) override { d_->released(peer, now); }
  std::string reconfigure(const config::RelayLimitsConfig& limits, TimeNs head_timeout,
                          std::vector<IpPrefix> upstreams, std::span<const IpAddr> open, TimeNs now) override {
    return d_->reconfigure(limits, head_timeout, std::move(upstreams), open, now);
  }
  TimeNs head_deadline(TimeNs at) const override { return d_->head_deadline(at); }
  void head_timed_out(const IpAddr& peer) override { d_->head_timed_out(peer); }
  void memory_in_use(std::uint64_t bytes) override { d_->set_memory_in_use(bytes); }
  void tick(TimeNs now) override { (void)d_->tick(now); }  // a failed batch is an event, retried
  TimeNs tick_interval() const override { return d_->flush_interval(); }
  std::string metrics_text() const override {
    auto body = format::prom::render(d_->metric_families(), format::prom::Format::text);
    return body ? *body : "# " + body.error().message() + "\n";
  }
  std::vector<std::string> take_events() override { return d_->take_events(); }

 private:
  Verdict verdict(const Admit& a, bool can_evict = false) const {
    return {a.ok, a.ok ? std::string() : std::string(engine::refusal_name(a.reason)), can_evict && d_->evict_for(a)};
  }
  std::unique_ptr<Defence> d_;
};

}  // namespace

std::unique_ptr<Gate> defence_gate(const config::RelayLimitsConfig& limits, TimeNs head_timeout, BanSink sink,
                                   std::vector<IpPrefix> upstreams) {
  DefenceConfig c;
  c.limits = limits;
  c.head_deadline = head_timeout;
  c.upstreams = std::move(upstreams);
  return std::make_unique<DefenceGate>(Defence::create(std::move(c), std::move(sink)));
}

}  // namespace reach::tools::relay
