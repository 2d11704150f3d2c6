#include "engine/relay_limits.hpp"

#include <algorithm>
#include <utility>

namespace reach::engine {

namespace {

RelayLimits::Key key_of(const IpPrefix& p) {
  RelayLimits::Key k;
  k.len = static_cast<std::uint8_t>(p.len);
  k.v6 = p.net.is_v4() ? 0 : 1;
  const std::uint8_t* b = p.net.data();
  for (std::size_t i = 0; i < p.net.size(); ++i) {
    if (i < 8 && p.net.size() == 16)
      k.hi = (k.hi << 8) | b[i];
    else
      k.lo = (k.lo << 8) | b[i];
  }
  return k;
}

IpPrefix prefix_of_key(const RelayLimits::Key& k) {
  std::uint8_t b[16];
  if (!k.v6) {
    return IpPrefix{IpAddr::v4(static_cast<std::uint32_t>(k.lo)), k.len};
  }
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(k.hi >> (56 - 8 * i));
    b[8 + i] = static_cast<std::uint8_t>(k.lo >> (56 - 8 * i));
  }
  return IpPrefix{IpAddr::from_bytes(Family::v6, b), k.len};
}

// When the table is full and a sweep freed less than this share, the next sweep waits.
constexpr TimeNs kFullSweepGap = 100 * kNsPerMs;

}  // namespace

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::none: return "none";
    case Refusal::per_prefix_conns: return "per_prefix_conns";
    case Refusal::per_prefix_rate: return "per_prefix_rate";
    case Refusal::global_conns: return "global_conns";
    case Refusal::memory: return "memory";
    case Refusal::banned: return "banned";
  }
  return "unknown";
}

std::size_t RelayLimits::KeyHash::operator()(const Key& k) const {
  // splitmix64 finaliser over both halves: prefixes differ in few bits.
  std::uint64_t x = k.hi * 0x9e3779b97f4a7c15ull ^ (k.lo + (std::uint64_t{k.len} << 1 | k.v6));
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<std::size_t>(x);
}

RelayLimits::RelayLimits(RelayLimitsConfig config) : config_(std::move(config)) {
  table_.reserve(std::min<std::size_t>(config_.max_prefixes, 1024));
}

bool RelayLimits::allowed(const IpAddr& a) const {
  for (const auto& p : config_.allow)
    if (p.contains(a)) return true;
  return false;
}

bool RelayLimits::saturated() const {
  return (config_.max_conns && open_ >= config_.max_conns) || (config_.max_memory && memory_ >= config_.max_memory);
}

RelayLimits::Entry* RelayLimits::entry(const Key& k, const PrefixLimit& lim, TimeNs now, const Key* keep) {
  auto it = table_.find(k);
  if (it != table_.end()) return &it->second;
  if (table_.size() >= config_.max_prefixes) {
    if (now < next_full_sweep_) return nullptr;
    const std::size_t before = table_.size();
    // Full: drop every prefix without connections or ban, however recent (a flood of fresh
    // prefixes each seen once must not lock out the next legitimate one).
    std::erase_if(table_, [&](const auto& kv) {
      return kv.second.conns == 0 && kv.second.banned_until <= now && !(keep && kv.first == *keep);
    });
    next_full_sweep_ = (before - table_.size()) * 10 < config_.max_prefixes ? now + kFullSweepGap : now;
    if (table_.size() >= config_.max_prefixes) return nullptr;
  }
  Entry e;
  e.tokens = std::max(lim.burst, 1.0);
  e.refilled = now;
  e.last_seen = now;
  return &table_.emplace(k, e).first->second;
}

Refusal RelayLimits::check(Entry& e, const PrefixLimit& lim, TimeNs now) const {
  if (lim.rate > 0 && now > e.refilled) {
    const double burst = std::max(lim.burst, 1.0);
    e.tokens = std::min(burst, e.tokens + lim.rate * static_cast<double>(now - e.refilled) / 1e9);
  }
  e.refilled = std::max(e.refilled, now);
  if (lim.max_conns && e.conns >= lim.max_conns) return Refusal::per_prefix_conns;
  if (lim.rate > 0 && e.tokens < 1.0) return Refusal::per_prefix_rate;
  return Refusal::none;
}

void RelayLimits::strike(Entry& e, const Key& k, Refusal r, TimeNs now) {
  ++e.refused;
  e.last_reason = r;
  if (r != Refusal::per_prefix_conns && r != Refusal::per_prefix_rate) return;
  if (config_.ban_after == 0) return;
  if (e.strikes == 0 || now - e.strikes_since > config_.ban_window) {
    e.strikes = 0;
    e.strikes_since = now;
  }
  if (++e.strikes >= config_.ban_after && e.banned_until <= now) {
    e.banned_until = now + config_.ban_time;
    e.strikes = 0;
    new_bans_.push_back(prefix_of_key(k));
  }
}

void RelayLimits::levels(const IpAddr& a, const PrefixLimit* out[2]) const {
  out[0] = a.is_v4() ? &config_.v4 : &config_.v6;
  out[1] = !a.is_v4() && config_.v6_wide.len > 0 ? &config_.v6_wide : nullptr;
}

// Bans, then concurrency and rate at each level of `a` (not allow-listed); fills `entries`.
Admit RelayLimits::check_prefixes(const IpAddr& a, TimeNs now, Entry* entries[2], const PrefixLimit* lims[2]) {
  levels(a, lims);
  Key keys[2];
  for (int i = 0; i < 2 && lims[i]; ++i) {
    keys[i] = key_of(prefix_of(a, lims[i]->len));
    entries[i] = entry(keys[i], *lims[i], now, i > 0 ? &keys[0] : nullptr);
    if (!entries[i]) return {false, Refusal::memory, prefix_of(a, lims[i]->len)};
    entries[i]->last_seen = now;
  }
  for (int i = 0; i < 2 && entries[i]; ++i) {
    if (entries[i]->banned_until > now) {
      ++entries[i]->refused;
      entries[i]->last_reason = Refusal::banned;
      return {false, Refusal::banned, prefix_of(a, lims[i]->len)};
    }
  }
  for (int i = 0; i < 2 && entries[i]; ++i) {
    const Refusal r = check(*entries[i], *lims[i], now);
    if (r != Refusal::none) {
      strike(*entries[i], keys[i], r, now);
      return {false, r, prefix_of(a, lims[i]->len)};
    }
  }
  return {true, Refusal::none, prefix_of(a, lims[0]->len)};
}

Admit RelayLimits::admit(const IpAddr& peer, TimeNs now) {
  const IpAddr a = unmap_v4(peer);
  if (allowed(a)) {
    ++open_;
    return {true, Refusal::none, prefix_of(a, a.is_v4() ? 32 : 128)};
  }
  Entry* entries[2] = {nullptr, nullptr};
  const PrefixLimit* lims[2] = {nullptr, nullptr};
  const Admit c = check_prefixes(a, now, entries, lims);
  if (!c.ok) return c;
  // Global caps refuse new connections only; no established one is ever closed for them.
  if (config_.max_conns && open_ >= config_.max_conns) return {false, Refusal::global_conns, c.prefix};
  if (config_.max_memory && memory_ >= config_.max_memory) return {false, Refusal::memory, c.prefix};
  for (int i = 0; i < 2 && entries[i]; ++i) {
    ++entries[i]->conns;
    if (lims[i]->rate > 0) entries[i]->tokens -= 1.0;
  }
  ++open_;
  return c;
}

Admit RelayLimits::admit_upstream(const IpAddr& upstream, TimeNs now) {
  const IpAddr a = unmap_v4(upstream);
  const IpPrefix own = prefix_of(a, a.is_v4() ? 32 : 128);
  if (config_.max_conns && open_ >= config_.max_conns) return {false, Refusal::global_conns, own};
  if (config_.max_memory && memory_ >= config_.max_memory) return {false, Refusal::memory, own};
  if (!allowed(a)) {
    const PrefixLimit* lims[2];
    levels(a, lims);
    Key keys[2];
    Entry* entries[2] = {nullptr, nullptr};
    for (int i = 0; i < 2 && lims[i]; ++i) {
      keys[i] = key_of(prefix_of(a, lims[i]->len));
      entries[i] = entry(keys[i], *lims[i], now, i > 0 ? &keys[0] : nullptr);
      if (!entries[i]) return {false, Refusal::memory, prefix_of(a, lims[i]->len)};
      entries[i]->last_seen = now;
      if (lims[i]->max_conns && entries[i]->conns >= lims[i]->max_conns) {
        ++entries[i]->refused;  // for /metrics; never a strike: a ban would cut off every client
        entries[i]->last_reason = Refusal::per_prefix_conns;
        return {false, Refusal::per_prefix_conns, prefix_of(a, lims[i]->len)};
      }
    }
    for (int i = 0; i < 2 && entries[i]; ++i) ++entries[i]->conns;
  }
  ++open_;
  return {true, Refusal::none, own};
}

void RelayLimits::uncount(const IpAddr& a, TimeNs now) {
  const PrefixLimit* lims[2];
  levels(a, lims);
  for (int i = 0; i < 2 && lims[i]; ++i) {
    auto it = table_.find(key_of(prefix_of(a, lims[i]->len)));
    if (it == table_.end()) continue;
    if (it->second.conns > 0) --it->second.conns;
    it->second.last_seen = now;
  }
}

Admit RelayLimits::handover(const IpAddr& upstream, const IpAddr& client, TimeNs now) {
  const IpAddr c = unmap_v4(client);
  Admit out{true, Refusal::none, prefix_of(c, c.is_v4() ? 32 : 128)};
  if (!allowed(c)) {
    Entry* entries[2] = {nullptr, nullptr};
    const PrefixLimit* lims[2] = {nullptr, nullptr};
    out = check_prefixes(c, now, entries, lims);
    if (!out.ok) return out;
    for (int i = 0; i < 2 && entries[i]; ++i) {
      ++entries[i]->conns;
      if (lims[i]->rate > 0) entries[i]->tokens -= 1.0;
    }
  }
  const IpAddr u = unmap_v4(upstream);
  if (!allowed(u)) uncount(u, now);
  return out;
}

void RelayLimits::released(const IpAddr& peer, TimeNs now) {
  if (open_ > 0) --open_;
  const IpAddr a = unmap_v4(peer);
  if (!allowed(a)) uncount(a, now);
}

void RelayLimits::reconfigure(RelayLimitsConfig config, std::span<const IpAddr> open, TimeNs now) {
  config_ = std::move(config);
  for (auto& [k, e] : table_) e.conns = 0;
  open_ = 0;
  for (const IpAddr& peer : open) {
    ++open_;
    const IpAddr a = unmap_v4(peer);
    if (allowed(a)) continue;
    const PrefixLimit* lims[2];
    levels(a, lims);
    for (int i = 0; i < 2 && lims[i]; ++i) {
      const Key k = key_of(prefix_of(a, lims[i]->len));
      // Past max_prefixes an open connection goes uncounted rather than refused: it is open.
      if (Entry* e = entry(k, *lims[i], now)) ++e->conns;
    }
  }
}

std::vector<IpPrefix> RelayLimits::take_new_bans() { return std::exchange(new_bans_, {}); }

void RelayLimits::evict(TimeNs now) {
  std::erase_if(table_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return e.conns == 0 && e.banned_until <= now && now - e.last_seen >= config_.idle_evict;
  });
}

std::vector<RelayLimits::Hit> RelayLimits::top_hits(std::size_t n) const {
  std::vector<Hit> hits;
  for (const auto& [k, e] : table_)
    if (e.refused) hits.push_back({prefix_of_key(k), e.last_reason, e.refused});
  const auto by_count = [](const Hit& x, const Hit& y) { return x.count != y.count ? x.count > y.count : x.prefix < y.prefix; };
  if (hits.size() > n) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(), by_count);
    hits.resize(n);
  } else {
    std::sort(hits.begin(), hits.end(), by_count);
  }
  return hits;
}

}  // namespace reach::engine
