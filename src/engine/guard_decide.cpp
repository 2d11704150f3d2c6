// guard's threshold engine (guard_decide.hpp). Per-source state is a ring of the last `failures`
// failure times (4 bytes each, 100 ms ticks from the first time seen) in flat tables; bans and
// remembered offences are a second flat table keyed by prefix. Policy: docs/GUARD-RULES.md.
#include "engine/guard_decide.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "config/values.hpp"
#include "engine/guard_table.hpp"

namespace reach::engine {
namespace {

using guard_detail::DenseMap;
using guard_detail::mix64;

constexpr TimeNs kTick = 100 * kNsPerMs;  // resolution of the window (13.6 years fit in 32 bits)

struct U64Hash {
  std::size_t operator()(std::uint64_t k) const { return static_cast<std::size_t>(mix64(k)); }
};

struct BanKey {
  std::uint64_t hi = 0, lo = 0;
  std::uint8_t v6 = 0, len = 0;
  friend bool operator==(const BanKey& a, const BanKey& b) {
    return a.hi == b.hi && a.lo == b.lo && a.v6 == b.v6 && a.len == b.len;
  }
};
struct BanKeyHash {
  std::size_t operator()(const BanKey& k) const {
    return static_cast<std::size_t>(mix64(k.hi ^ mix64(k.lo ^ (std::uint64_t{k.v6} << 8 | k.len))));
  }
};

std::uint64_t be64(const std::uint8_t* p, std::size_t n) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < n; ++i) x = x << 8 | p[i];
  return x;
}

BanKey key_of(const IpPrefix& p) {
  BanKey k;
  k.v6 = p.net.is_v4() ? 0 : 1;
  k.len = static_cast<std::uint8_t>(p.len);
  if (p.net.is_v4()) {
    k.hi = be64(p.net.data(), 4);
  } else {
    k.hi = be64(p.net.data(), 8);
    k.lo = be64(p.net.data() + 8, 8);
  }
  return k;
}

IpPrefix prefix_of_key(const BanKey& k) {
  std::uint8_t b[16] = {};
  if (!k.v6) {
    for (int i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(k.hi >> (24 - 8 * i));
    return IpPrefix{IpAddr::from_bytes(Family::v4, b), k.len};
  }
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(k.hi >> (56 - 8 * i));
    b[8 + i] = static_cast<std::uint8_t>(k.lo >> (56 - 8 * i));
  }
  return IpPrefix{IpAddr::from_bytes(Family::v6, b), k.len};
}

// Sources no one can be banned for: loopback, unspecified, multicast and reserved IPv4, IPv6
// link-local (meaningless without its interface).
const char* never_label(const IpAddr& a) {
  const std::uint8_t* b = a.data();
  if (a.is_v4()) {
    if (b[0] == 127) return "loopback";
    if (b[0] == 0) return "unspecified (0.0.0.0/8)";
    if (b[0] >= 224) return "multicast or reserved (224.0.0.0/3)";
    return nullptr;
  }
  static const std::uint8_t zero[16] = {};
  if (std::equal(b, b + 15, zero)) return b[15] == 1 ? "loopback" : b[15] == 0 ? "unspecified" : nullptr;
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  return nullptr;
}

bool overlaps(const IpPrefix& a, const IpPrefix& b) {
  if (a.net.family() != b.net.family()) return false;
  return a.contains(b.net) || b.contains(a.net);
}

struct CountMeta {
  std::uint8_t n = 0, head = 0, rule = 0, form = 0;
};

struct BanEntry {
  TimeNs at = 0;
  TimeNs until = 0;   // 0: not active (the entry only remembers the offences)
  TimeNs ended = 0;   // when the last ban of this prefix ended
  std::uint32_t count = 0;
  std::uint16_t offences = 0;
  model::GuardBanOrigin origin = model::GuardBanOrigin::threshold;
  std::uint8_t rule = 0, form = 0;
  bool escalation_counted = false;  // an ipv6_prefix ban counted toward its wider prefix
  std::uint16_t cc = 0;              // the source's country, two letters packed (0: unknown)
};

// Country rules (GuardPolicy::country_of).
enum class CountryRule : std::uint8_t { none, ban, allow };
struct CountryHit {
  std::string cc;  // "" when the rules are inactive or the files do not know the address
  CountryRule rule = CountryRule::none;
};

bool country_rules_on(const GuardPolicy& p) {
  return p.country_of && (!p.ban_countries.empty() || !p.allow_countries.empty());
}

CountryHit country_rule(const GuardPolicy& p, const IpAddr& a) {
  CountryHit h;
  if (!country_rules_on(p)) return h;
  std::string cc = p.country_of(a);
  // The files' strings are untrusted: only two upper-case letters are a country here.
  if (cc.size() != 2 || !std::all_of(cc.begin(), cc.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return h;
  auto has = [&](const std::vector<std::string>& l) { return std::find(l.begin(), l.end(), cc) != l.end(); };
  h.rule = has(p.allow_countries) ? CountryRule::allow : has(p.ban_countries) ? CountryRule::ban : CountryRule::none;
  h.cc = std::move(cc);
  return h;
}

std::uint16_t pack_cc(const std::string& cc) {
  return cc.size() == 2 ? static_cast<std::uint16_t>(static_cast<unsigned char>(cc[0]) << 8 | static_cast<unsigned char>(cc[1])) : 0;
}
std::string unpack_cc(std::uint16_t v) {
  if (v == 0) return {};
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

std::string dur(TimeNs ns) { return config::format_duration(ns); }

}  // namespace

GuardPolicy guard_policy(const config::GuardConfig& c) {
  GuardPolicy p;
  p.failures = c.threshold.failures;
  p.window = c.threshold.window;
  p.max_sources = c.threshold.max_sources;
  p.ban_time = c.ban.time;
  p.max_time = c.ban.max_time;
  p.factor = c.ban.factor;
  p.forget = c.ban.forget;
  p.ipv4_prefix = c.ban.ipv4_prefix;
  p.ipv6_prefix = c.ban.ipv6_prefix;
  p.ipv6_escalate_prefix = c.ban.ipv6_escalate_prefix;
  p.ipv6_escalate_after = c.ban.ipv6_escalate_after;
  for (const auto& a : c.allow) p.allow.push_back({a, "allow"});
  p.ban_countries = c.countries.ban;
  p.allow_countries = c.countries.allow;
  return p;
}

struct GuardDecider::Impl {
  struct Counter {
    DenseMap<std::uint64_t, CountMeta, U64Hash> map;
    std::vector<std::uint32_t> ring;  // `ring_size` ticks per entry, entry i at i * ring_size
  };
  std::array<Counter, 3> counters;  // [0] IPv4, [1] IPv6 prefixes, [2] addresses counted alone (count_slot)
  DenseMap<BanKey, BanEntry, BanKeyHash> bans;
  DenseMap<std::uint64_t, std::uint32_t, U64Hash> escalation;  // wider prefix -> active narrower bans
  std::array<std::array<std::uint32_t, 129>, 2> active_by_len{};  // active bans per family and length
  std::array<std::vector<int>, 2> lens;  // lengths with active bans, ascending (widest first)
  std::vector<GuardAllowEntry> own;
  std::vector<model::GuardBan> queued;
  std::vector<std::string> names;  // rule and form names, by id (id 0 = "")
  // The words a restored ban was saved with (`check` reads them; the daemon keeps none).
  std::unordered_map<BanKey, std::string, BanKeyHash> saved_reasons;
  std::size_t ring_size = 5;
  TimeNs base = 0, newest = 0;
  bool have_base = false;
  std::size_t evicted = 0;
  std::uint64_t rng = 0x9e3779b97f4a7c15ULL;
  std::uint32_t count_cursor[3] = {0, 0, 0};
  std::uint32_t ban_cursor = 0;
};

namespace {

using Impl = GuardDecider::Impl;

std::uint8_t intern(Impl& d, const std::string& name) {
  for (std::size_t i = 0; i < d.names.size(); ++i)
    if (d.names[i] == name) return static_cast<std::uint8_t>(i);
  if (d.names.size() >= 255) return 0;
  d.names.push_back(name);
  return static_cast<std::uint8_t>(d.names.size() - 1);
}

std::uint32_t tick_of(const Impl& d, TimeNs now) {
  if (!d.have_base || now <= d.base) return 0;
  return static_cast<std::uint32_t>((now - d.base) / kTick);
}

std::uint32_t newest_tick(const Impl::Counter& c, std::size_t r, std::uint32_t i) {
  const auto& m = c.map.value(i);
  return c.ring[i * r + (m.head + r - 1) % r];
}

void erase_count(Impl::Counter& c, std::size_t r, std::uint32_t i) {
  auto moved = c.map.erase_at(i);
  if (moved != decltype(c.map)::npos)
    std::copy_n(c.ring.begin() + static_cast<std::ptrdiff_t>(moved * r), r, c.ring.begin() + static_cast<std::ptrdiff_t>(i * r));
  c.ring.resize(c.map.size() * r);
}

void refresh_lens(Impl& d, int fam) {
  d.lens[fam].clear();
  for (int len = 0; len <= 128; ++len)
    if (d.active_by_len[fam][len] > 0) d.lens[fam].push_back(len);
}

void note_active(Impl& d, const BanKey& k, int delta) {
  auto& n = d.active_by_len[k.v6][k.len];
  const bool was = n > 0;
  n = static_cast<std::uint32_t>(static_cast<int>(n) + delta);
  if (was != (n > 0)) refresh_lens(d, k.v6);
}

}  // namespace

GuardDecider::GuardDecider(GuardPolicy policy) : policy_(std::move(policy)), impl_(std::make_unique<Impl>()) {
  impl_->names.emplace_back();
  impl_->ring_size = static_cast<std::size_t>(std::clamp(policy_.failures, 1, 100));
}
GuardDecider::~GuardDecider() = default;
GuardDecider::GuardDecider(GuardDecider&&) noexcept = default;
GuardDecider& GuardDecider::operator=(GuardDecider&&) noexcept = default;

void GuardDecider::set_own(const std::vector<IpAddr>& own) {
  impl_->own.clear();
  for (const auto& a : own) {
    const IpAddr u = unmap_v4(a);
    impl_->own.push_back({prefix_of(u, u.is_v4() ? 32 : 128), "own address"});
  }
}

void GuardDecider::set_policy(GuardPolicy p) {
  Impl& d = *impl_;
  // Counts survive a reload: a family counted under another prefix length starts afresh (a /24's
  // count cannot be split into /32s), a new `failures` keeps each source's newest times, and
  // sources the new allow-list covers are dropped. Addresses counted alone start afresh (their
  // keys are a mix, not an address the new allow-list could be checked against).
  const bool relen[2] = {p.ipv4_prefix != policy_.ipv4_prefix, p.ipv6_prefix != policy_.ipv6_prefix};
  const bool reescalate = relen[1] || p.ipv6_escalate_prefix != policy_.ipv6_escalate_prefix ||
                          p.ipv6_escalate_after != policy_.ipv6_escalate_after;
  policy_ = std::move(p);
  const std::size_t r = d.ring_size;
  const auto r2 = static_cast<std::size_t>(std::clamp(policy_.failures, 1, 100));
  for (int fam = 0; fam < 2; ++fam) {
    auto& c = d.counters[fam];
    if (relen[fam]) {
      c.map.clear();
      c.ring.clear();
      continue;
    }
    const int len = fam == 0 ? policy_.ipv4_prefix : policy_.ipv6_prefix;
    for (std::uint32_t i = 0; i < c.map.size();) {
      const IpPrefix counted = prefix_of_key(BanKey{c.map.key(i), 0, static_cast<std::uint8_t>(fam), static_cast<std::uint8_t>(len)});
      const bool allowed = std::any_of(policy_.allow.begin(), policy_.allow.end(), [&](const GuardAllowEntry& e) {
        return e.prefix.len <= counted.len && e.prefix.contains(counted.net);
      }) || (!policy_.allow_countries.empty() && country_rule(policy_, counted.net).rule == CountryRule::allow);
      if (allowed) erase_count(c, r, i);  // the last entry moved into i
      else ++i;
    }
    if (r2 == r) continue;
    std::vector<std::uint32_t> ring(c.map.size() * r2, 0);
    for (std::uint32_t i = 0; i < c.map.size(); ++i) {
      CountMeta& m = c.map.value(i);
      const std::size_t keep = std::min<std::size_t>(m.n, r2);
      for (std::size_t j = 0; j < keep; ++j)  // oldest kept first
        ring[i * r2 + j] = c.ring[i * r + (m.head + r - keep + j) % r];
      m.n = static_cast<std::uint8_t>(keep);
      m.head = static_cast<std::uint8_t>(keep % r2);
    }
    c.ring = std::move(ring);
  }
  d.counters[2].map.clear();
  d.counters[2].ring.clear();
  d.ring_size = r2;
  if (reescalate) {
    d.escalation.clear();
    for (std::uint32_t i = 0; i < d.bans.size(); ++i) {
      const BanKey& k = d.bans.key(i);
      BanEntry& e = d.bans.value(i);
      e.escalation_counted = e.until != 0 && k.v6 && k.len == policy_.ipv6_prefix && policy_.ipv6_escalate_after > 0 &&
                             (e.origin == model::GuardBanOrigin::threshold || e.origin == model::GuardBanOrigin::country);
      if (!e.escalation_counted) continue;
      auto wide = key_of(prefix_of(prefix_of_key(k).net, policy_.ipv6_escalate_prefix)).hi;
      auto at = d.escalation.find(wide);
      if (at == decltype(d.escalation)::npos) d.escalation.insert(wide, 1);
      else ++d.escalation.value(at);
    }
  }
}

namespace {

// The allow entry (allow-list, then own addresses) holding a, or null.
const GuardAllowEntry* allowed_by(const GuardPolicy& p, const Impl& d, const IpAddr& a) {
  for (const auto& e : p.allow)
    if (e.prefix.contains(a)) return &e;
  for (const auto& e : d.own)
    if (e.prefix.contains(a)) return &e;
  return nullptr;
}

// The allow entry a ban of p would lock out, or null. Loopback counts as allowed here.
const GuardAllowEntry* covers_allowed(const GuardPolicy& pol, const Impl& d, const IpPrefix& p) {
  static const GuardAllowEntry loop4{IpPrefix{IpAddr::v4(0x7f000000), 8}, "loopback"};
  static const GuardAllowEntry loop6{*parse_prefix("::1/128"), "loopback"};
  for (const auto* e : {&loop4, &loop6})
    if (overlaps(e->prefix, p)) return e;
  for (const auto& e : pol.allow)
    if (overlaps(e.prefix, p)) return &e;
  for (const auto& e : d.own)
    if (overlaps(e.prefix, p)) return &e;
  return nullptr;
}

// Where a source's failures count: its prefix (/32 or /24, /64), or the address alone when that
// prefix holds an allowed address — the ban will then be the address alone, so a neighbour's
// failures must not add up to it. Alone ones live in counters[2] under a 64-bit mix of the
// address (IPv4 tagged apart; two sources share a slot with odds of 2^-64).
struct CountSlot {
  int slot;
  std::uint64_t key;
  IpPrefix counted;
};

CountSlot count_slot(const GuardPolicy& pol, const Impl& d, const IpAddr& a) {
  const bool v4 = a.is_v4();
  const IpPrefix p = prefix_of(a, v4 ? pol.ipv4_prefix : pol.ipv6_prefix);
  if (!covers_allowed(pol, d, p)) return {v4 ? 0 : 1, key_of(p).hi, p};
  const IpPrefix alone = prefix_of(a, v4 ? 32 : 128);
  const BanKey k = key_of(alone);
  return {2, v4 ? k.hi | (1ULL << 40) : mix64(k.hi ^ mix64(k.lo)), alone};
}

// The position of the active ban holding a (widest first), or npos.
std::uint32_t holding_ban(const Impl& d, const IpAddr& a, TimeNs now) {
  const int fam = a.is_v4() ? 0 : 1;
  for (int len : d.lens[fam]) {
    auto i = d.bans.find(key_of(prefix_of(a, len)));
    if (i != decltype(d.bans)::npos && d.bans.value(i).until > now) return i;
  }
  return decltype(d.bans)::npos;
}

int remembered_offences(const GuardPolicy& p, const BanEntry& e, TimeNs now) {
  if (e.until != 0) return e.offences;  // active (or run out, not yet swept)
  return now - e.ended <= p.forget ? e.offences : 0;
}

TimeNs duration_for(const GuardPolicy& p, int offence) {
  double d = static_cast<double>(p.ban_time) * std::pow(p.factor, std::max(0, offence - 1));
  if (!std::isfinite(d) || d > static_cast<double>(p.max_time)) return p.max_time;
  return static_cast<TimeNs>(d);
}

void deactivate(Impl& d, const GuardPolicy& p, std::uint32_t i, TimeNs now) {
  const BanKey k = d.bans.key(i);
  BanEntry& e = d.bans.value(i);
  if (e.until == 0) return;
  e.ended = std::min(now, e.until);
  e.until = 0;
  note_active(d, k, -1);
  if (e.escalation_counted) {
    e.escalation_counted = false;
    auto wide = key_of(prefix_of(prefix_of_key(k).net, p.ipv6_escalate_prefix)).hi;
    auto at = d.escalation.find(wide);
    if (at != decltype(d.escalation)::npos && --d.escalation.value(at) == 0) d.escalation.erase_at(at);
  }
}

model::GuardBan ban_of(const Impl& d, const GuardPolicy& p, const BanKey& k, const BanEntry& e) {
  model::GuardBan b;
  b.prefix = prefix_of_key(k);
  b.at = e.at;
  b.until = e.until;
  b.duration = e.until - e.at;
  b.offence = e.offences;
  b.count = static_cast<int>(e.count);
  b.rule = d.names[e.rule];
  b.form = d.names[e.form];
  b.origin = e.origin;
  b.country = unpack_cc(e.cc);
  const std::string again = e.offences > 1 ? fmt::format(", offence {}", e.offences) : "";
  switch (e.origin) {
    case model::GuardBanOrigin::threshold:
      b.reason = fmt::format("{} failures within {} ({} {}){}", e.count, dur(p.window), b.rule, b.form, again);
      break;
    case model::GuardBanOrigin::escalated:
      b.reason = fmt::format("{} /{} prefixes of this /{} banned{}", e.count, p.ipv6_prefix, k.len, again);
      break;
    case model::GuardBanOrigin::country:
      b.reason = fmt::format("country {} is on countries.ban: banned at its first failure ({} {}){}", b.country, b.rule,
                             b.form, again);
      break;
    case model::GuardBanOrigin::manual: b.reason = "manual ban" + again; break;
    case model::GuardBanOrigin::restored: {
      auto saved = d.saved_reasons.find(k);
      b.reason = saved != d.saved_reasons.end() ? saved->second : "restored from the ban list" + again;
      break;
    }
  }
  return b;
}

// Makes (or renews) the ban of p and returns its position.
std::uint32_t activate(Impl& d, const GuardPolicy& p, const IpPrefix& prefix, TimeNs now, TimeNs duration,
                       model::GuardBanOrigin origin, std::uint32_t count, std::uint8_t rule, std::uint8_t form) {
  const BanKey k = key_of(prefix);
  auto i = d.bans.find(k);
  if (i == decltype(d.bans)::npos) i = d.bans.insert(k, BanEntry{});
  BanEntry& e0 = d.bans.value(i);
  const int offence = remembered_offences(p, e0, now) + 1;
  if (e0.until != 0) deactivate(d, p, i, now);
  BanEntry& e = d.bans.value(i);
  e.offences = static_cast<std::uint16_t>(std::min(offence, 65535));
  e.at = now;
  e.until = now + (duration > 0 ? duration : duration_for(p, offence));
  e.count = count;
  e.origin = origin;
  e.rule = rule;
  e.form = form;
  note_active(d, k, +1);
  return i;
}

}  // namespace

GuardRecord GuardDecider::record(const model::GuardMatch& m, TimeNs now) {
  Impl& d = *impl_;
  if (m.weight <= 0) return GuardRecord::ignored;
  const IpAddr a = unmap_v4(m.addr);
  if (never_label(a)) return GuardRecord::never;
  if (allowed_by(policy_, d, a)) return GuardRecord::allowed;
  const CountryHit country = country_rule(policy_, a);
  if (country.rule == CountryRule::allow) return GuardRecord::country_allowed;
  if (!d.have_base) {
    d.base = d.newest = now;
    d.have_base = true;
  }
  now = std::max(now, d.newest);
  d.newest = now;
  if (holding_ban(d, a, now) != decltype(d.bans)::npos) return GuardRecord::already_banned;

  const int fam = a.is_v4() ? 0 : 1;
  const CountSlot slot = count_slot(policy_, d, a);
  const IpPrefix counted = slot.counted;
  const std::uint64_t key = slot.key;
  const std::size_t r = d.ring_size;
  auto& c = d.counters[slot.slot];
  auto i = c.map.find(key);
  if (i == decltype(c.map)::npos) {
    if (d.counters[0].map.size() + d.counters[1].map.size() + d.counters[2].map.size() >=
        std::max<std::size_t>(policy_.max_sources, 1)) {
      // Full: drop the least recently failing of 8 sampled sources (of the largest table).
      auto* victim_p = &d.counters[0];
      for (auto& k : d.counters)
        if (k.map.size() > victim_p->map.size()) victim_p = &k;
      auto& victim = *victim_p;
      std::uint32_t best = 0, best_tick = 0xffffffffu;
      for (int s = 0; s < 8; ++s) {
        d.rng ^= d.rng << 13;
        d.rng ^= d.rng >> 7;
        d.rng ^= d.rng << 17;
        const auto j = static_cast<std::uint32_t>(d.rng % victim.map.size());
        const auto t = newest_tick(victim, r, j);
        if (t < best_tick) best = j, best_tick = t;
      }
      erase_count(victim, r, best);
      ++d.evicted;
    }
    i = c.map.insert(key, CountMeta{});
    c.ring.resize(c.map.size() * r);
  }
  const std::uint32_t t = tick_of(d, now);
  CountMeta& meta = c.map.value(i);
  std::uint32_t* ring = c.ring.data() + i * r;
  for (int w = 0; w < std::min<int>(m.weight, static_cast<int>(r)); ++w) {
    ring[meta.head] = t;
    meta.head = static_cast<std::uint8_t>((meta.head + 1) % r);
    meta.n = static_cast<std::uint8_t>(std::min<std::size_t>(meta.n + 1u, r));
  }
  meta.rule = intern(d, m.rule);
  meta.form = intern(d, m.form);
  const auto window_ticks = static_cast<std::uint32_t>(std::max<TimeNs>(1, policy_.window / kTick));
  std::uint32_t in_window = 0;
  for (std::size_t j = 0; j < meta.n; ++j)
    if (t - ring[(meta.head + r - 1 - j) % r] < window_ticks) ++in_window;
  const bool by_country = country.rule == CountryRule::ban;
  if (!by_country && in_window < static_cast<std::uint32_t>(policy_.failures)) return GuardRecord::counted;

  const std::uint8_t rule = meta.rule, form = meta.form;
  erase_count(c, r, i);
  const IpPrefix target = counted;
  auto b = activate(d, policy_, target, now, 0, by_country ? model::GuardBanOrigin::country : model::GuardBanOrigin::threshold,
                    in_window, rule, form);
  BanEntry& e = d.bans.value(b);
  e.cc = pack_cc(country.cc);
  d.queued.push_back(ban_of(d, policy_, d.bans.key(b), e));
  if (fam == 1 && target.len == policy_.ipv6_prefix && policy_.ipv6_escalate_after > 0) {
    e.escalation_counted = true;
    const IpPrefix wide = prefix_of(a, policy_.ipv6_escalate_prefix);
    const auto wk = key_of(wide).hi;
    auto w = d.escalation.find(wk);
    if (w == decltype(d.escalation)::npos) w = d.escalation.insert(wk, 0);
    const auto narrower = ++d.escalation.value(w);
    if (narrower >= static_cast<std::uint32_t>(policy_.ipv6_escalate_after) && !covers_allowed(policy_, d, wide)) {
      auto held = d.bans.find(key_of(wide));
      if (held == decltype(d.bans)::npos || d.bans.value(held).until <= now) {
        auto x = activate(d, policy_, wide, now, 0, model::GuardBanOrigin::escalated, narrower, rule, form);
        d.bans.value(x).cc = pack_cc(country.cc);
        d.queued.push_back(ban_of(d, policy_, d.bans.key(x), d.bans.value(x)));
      }
    }
  }
  return GuardRecord::banned;
}

Result<model::GuardBan> GuardDecider::ban(const IpPrefix& prefix, TimeNs now, TimeNs duration) {
  Impl& d = *impl_;
  if (const auto* e = covers_allowed(policy_, d, prefix))
    return fail("ban", prefix.to_string(), 0, fmt::format("would cover {} ({})", e->prefix.to_string(), e->label));
  if (prefix.len == 0) return fail("ban", prefix.to_string(), 0, "would cover every address");
  auto i = activate(d, policy_, prefix, now, duration, model::GuardBanOrigin::manual, 0, 0, 0);
  return ban_of(d, policy_, d.bans.key(i), d.bans.value(i));
}

bool GuardDecider::restore(const model::GuardBan& b, TimeNs now) {
  Impl& d = *impl_;
  if (b.until <= now || covers_allowed(policy_, d, b.prefix) || b.prefix.len == 0) return false;
  auto i = activate(d, policy_, b.prefix, b.at, b.until - b.at, b.origin, static_cast<std::uint32_t>(std::max(b.count, 0)),
                    intern(d, b.rule), intern(d, b.form));
  BanEntry& e = d.bans.value(i);
  e.offences = static_cast<std::uint16_t>(std::clamp(b.offence, 1, 65535));
  e.until = b.until;
  const BanKey k = d.bans.key(i);
  if (b.origin == model::GuardBanOrigin::restored && !b.reason.empty()) d.saved_reasons[k] = b.reason;
  if (k.v6 && k.len == policy_.ipv6_prefix && policy_.ipv6_escalate_after > 0 &&
      (b.origin == model::GuardBanOrigin::threshold || b.origin == model::GuardBanOrigin::country)) {
    e.escalation_counted = true;
    const auto wk = key_of(prefix_of(b.prefix.net, policy_.ipv6_escalate_prefix)).hi;
    auto w = d.escalation.find(wk);
    if (w == decltype(d.escalation)::npos) d.escalation.insert(wk, 1);
    else ++d.escalation.value(w);
  }
  return true;
}

bool GuardDecider::unban(const IpPrefix& prefix, TimeNs now) {
  Impl& d = *impl_;
  auto i = d.bans.find(key_of(prefix));
  if (i == decltype(d.bans)::npos || d.bans.value(i).until == 0) return false;
  deactivate(d, policy_, i, now);
  // Its failures so far go with it (a source unbanned by hand starts afresh).
  const CountSlot slot = count_slot(policy_, d, prefix.net);
  if (slot.counted == prefix) {
    auto& c = d.counters[slot.slot];
    auto j = c.map.find(slot.key);
    if (j != decltype(c.map)::npos) erase_count(c, d.ring_size, j);
  }
  return true;
}

std::vector<model::GuardBan> GuardDecider::take_bans() {
  std::vector<model::GuardBan> out;
  out.swap(impl_->queued);
  return out;
}

std::vector<model::GuardUnban> GuardDecider::expire(TimeNs now, std::size_t budget) {
  Impl& d = *impl_;
  std::vector<model::GuardUnban> out;
  const std::size_t r = d.ring_size;
  const std::uint32_t t = tick_of(d, std::max(now, d.newest));
  const auto window_ticks = static_cast<std::uint32_t>(std::max<TimeNs>(1, policy_.window / kTick));
  for (int slot = 0; slot < 3; ++slot) {
    auto& c = d.counters[slot];
    auto& cur = d.count_cursor[slot];
    std::size_t steps = budget ? std::min(budget, c.map.size()) : c.map.size();
    for (; steps > 0 && c.map.size() > 0; --steps) {
      if (cur >= c.map.size()) cur = 0;
      if (t - newest_tick(c, r, cur) >= window_ticks) erase_count(c, r, cur);  // the last one moved here
      else ++cur;
    }
  }
  std::size_t steps = budget ? std::min(budget, d.bans.size()) : d.bans.size();
  for (; steps > 0 && d.bans.size() > 0; --steps) {
    auto& cur = d.ban_cursor;
    if (cur >= d.bans.size()) cur = 0;
    BanEntry& e = d.bans.value(cur);
    if (e.until != 0 && e.until <= now) {
      out.push_back({prefix_of_key(d.bans.key(cur)), e.until, false});
      deactivate(d, policy_, cur, now);
    }
    if (e.until == 0 && now - e.ended > policy_.forget) d.bans.erase_at(cur);
    else ++cur;
  }
  return out;
}

std::vector<IpPrefix> GuardDecider::allowed_bans() const {
  std::vector<IpPrefix> out;
  for (std::uint32_t i = 0; i < impl_->bans.size(); ++i)
    if (impl_->bans.value(i).until != 0) {
      auto p = prefix_of_key(impl_->bans.key(i));
      if (covers_allowed(policy_, *impl_, p)) out.push_back(p);
    }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<model::GuardBan> GuardDecider::active_bans(TimeNs now) const {
  std::vector<model::GuardBan> out;
  for (std::uint32_t i = 0; i < impl_->bans.size(); ++i) {
    const auto& e = impl_->bans.value(i);
    if (e.until > now) out.push_back(ban_of(*impl_, policy_, impl_->bans.key(i), e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.prefix < b.prefix; });
  return out;
}

model::GuardExplain GuardDecider::explain(const IpAddr& addr, TimeNs now) const {
  const Impl& d = *impl_;
  model::GuardExplain x;
  const IpAddr a = unmap_v4(addr);
  x.addr = a;
  x.threshold = policy_.failures;
  x.window = policy_.window;
  const CountSlot slot = count_slot(policy_, d, a);
  x.counted_as = slot.counted;
  if (const char* why = never_label(a)) {
    x.verdict = model::GuardVerdict::loopback;
    x.allowed_by = why;
    x.reason = fmt::format("never banned: {}", why);
    return x;
  }
  const CountryHit country = country_rule(policy_, a);
  x.country = country.cc;
  x.country_rule = country.rule == CountryRule::ban ? "ban" : country.rule == CountryRule::allow ? "allow" : "";
  if (const auto* e = allowed_by(policy_, d, a)) {
    x.verdict = e->label == "own address" ? model::GuardVerdict::own_address : model::GuardVerdict::allowed;
    x.allowed_by = fmt::format("{} ({})", e->prefix.to_string(), e->label);
    x.reason = fmt::format("never counted or banned: on the allow-list as {}", x.allowed_by);
    return x;
  }
  if (country.rule == CountryRule::allow) {
    x.verdict = model::GuardVerdict::country_allowed;
    x.allowed_by = fmt::format("country {} (countries.allow)", country.cc);
    x.reason = fmt::format("never counted or banned: its country {} is on countries.allow", country.cc);
    return x;
  }
  if (country.rule == CountryRule::ban) x.threshold = 1;
  auto own = d.bans.find(key_of(x.counted_as));
  if (own != decltype(d.bans)::npos) x.offences = remembered_offences(policy_, d.bans.value(own), now);
  x.next_duration = duration_for(policy_, x.offences + 1);
  auto held = holding_ban(d, a, now);
  if (held != decltype(d.bans)::npos) {
    const auto& e = d.bans.value(held);
    x.verdict = model::GuardVerdict::banned;
    x.ban_prefix = prefix_of_key(d.bans.key(held));
    x.ban_until = e.until;
    // Whole seconds, as every other time reach prints for people (not 59m58s225ms694us802ns).
    const TimeNs left = std::max<TimeNs>(kNsPerSec, (e.until - now + kNsPerSec / 2) / kNsPerSec * kNsPerSec);
    x.reason = fmt::format("banned as {} for {} more: {}", x.ban_prefix.to_string(), dur(left),
                           ban_of(d, policy_, d.bans.key(held), e).reason);
    return x;
  }
  const auto& c = d.counters[slot.slot];
  auto i = c.map.find(slot.key);
  if (i != decltype(c.map)::npos) {
    const std::size_t r = d.ring_size;
    const auto& meta = c.map.value(i);
    const std::uint32_t t = tick_of(d, std::max(now, d.newest));
    const auto window_ticks = static_cast<std::uint32_t>(std::max<TimeNs>(1, policy_.window / kTick));
    for (std::size_t j = 0; j < meta.n; ++j) {
      const auto tick = c.ring[i * r + (meta.head + r - 1 - j) % r];
      if (t - tick < window_ticks) {
        ++x.failures;
        x.oldest = d.base + static_cast<TimeNs>(tick) * kTick;
      }
    }
  }
  if (country.rule == CountryRule::ban) {
    x.verdict = model::GuardVerdict::clean;  // any failure bans at once: none can be pending
    x.reason = fmt::format("its country {} is on countries.ban: its first failure bans {} for {}", country.cc,
                           x.counted_as.to_string(), dur(x.next_duration));
  } else if (x.failures > 0) {
    x.verdict = model::GuardVerdict::counting;
    x.reason = fmt::format("{} of {} failures within {} counted as {}; the next ban would last {}", x.failures,
                           x.threshold, dur(x.window), x.counted_as.to_string(), dur(x.next_duration));
  } else {
    x.verdict = model::GuardVerdict::clean;
    x.reason = fmt::format("no failures within {}; {} failures would ban {} for {}", dur(x.window), x.threshold,
                           x.counted_as.to_string(), dur(x.next_duration));
  }
  return x;
}

GuardDecider::Stats GuardDecider::stats() const {
  const Impl& d = *impl_;
  Stats s;
  for (const auto& c : d.counters) {
    s.sources += c.map.size();
    s.bytes += c.map.bytes() + c.ring.capacity() * sizeof(std::uint32_t);
  }
  for (std::uint32_t i = 0; i < d.bans.size(); ++i) s.bans += d.bans.value(i).until != 0 ? 1 : 0;
  s.remembered = d.bans.size();
  s.evicted = d.evicted;
  s.bytes += d.bans.bytes() + d.escalation.bytes();
  return s;
}

}  // namespace reach::engine
