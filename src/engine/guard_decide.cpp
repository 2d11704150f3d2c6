// guard's threshold engine (guard_decide.hpp). Per-source state, in flat tables: the newest
// failure time (a 32-bit tick of 100 ms from the first time seen) and up to `failures` - 1 older
// failure times within the window (16 bits each, see kMod), so 100k sources fit in about 2.9 MB.
// Bans and remembered offences are a second flat table keyed by prefix. Policy:
// docs/GUARD-RULES.md.
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

// Failure times are ticks of 100 ms from the first time seen (13.6 years fit in 32 bits).
constexpr TimeNs kTick = 100 * kNsPerMs;
constexpr std::size_t kMaxRing = 100;  // threshold.failures is at most 100

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

// Older failure times are kept in units of Impl::unit ticks (1, or more for a window over 65535
// ticks, 109 minutes, so that the window spans at most 65535 units), modulo kMod: 16 bits, told
// apart from any other time of the window. kNone marks an unused slot.
constexpr std::uint32_t kMod = 65535;
constexpr std::uint16_t kNone = 0xffff;

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
  template <class K>
  struct Counter {
    DenseMap<K, std::uint32_t, U64Hash> map;  // -> the tick of the newest failure
    // ring_size - 1 per entry (entry i at i * (ring_size - 1)): its older failures within the
    // window of its newest one, youngest first, as (tick / unit) % kMod; then kNone.
    std::vector<std::uint16_t> older;
  };
  Counter<std::uint32_t> v4;         // slot 0: IPv4 prefixes
  Counter<std::uint64_t> v6, alone;  // slot 1: IPv6 prefixes; slot 2: addresses counted alone (count_slot)
  std::size_t sources() const { return v4.map.size() + v6.map.size() + alone.map.size(); }
  template <class F> void each_counter(F&& f) { f(v4, 0), f(v6, 1), f(alone, 2); }
  template <class F> void each_counter(F&& f) const { f(v4, 0), f(v6, 1), f(alone, 2); }
  template <class F> decltype(auto) with_counter(int slot, F&& f) { return slot == 0 ? f(v4) : slot == 1 ? f(v6) : f(alone); }
  template <class F> decltype(auto) with_counter(int slot, F&& f) const {
    return slot == 0 ? f(v4) : slot == 1 ? f(v6) : f(alone);
  }
  DenseMap<BanKey, BanEntry, BanKeyHash> bans;
  DenseMap<std::uint64_t, std::uint32_t, U64Hash> escalation;  // wider prefix -> active narrower bans
  std::array<std::array<std::uint32_t, 129>, 2> active_by_len{};  // active bans per family and length
  std::array<std::vector<int>, 2> lens;  // lengths with active bans, ascending (widest first)
  std::vector<GuardAllowEntry> own;
  std::vector<model::GuardBan> queued;
  std::vector<std::string> names;  // rule and form names, by id (id 0 = "")
  // The words a restored ban was saved with (`check` reads them; the daemon keeps none).
  std::unordered_map<BanKey, std::string, BanKeyHash> saved_reasons;
  std::size_t ring_size = 5;  // failure times held per source: threshold.failures
  std::uint32_t unit = 1;  // ticks per unit of older failure times (unit_for)
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
  return static_cast<std::uint32_t>(std::min<TimeNs>((now - d.base) / kTick, 0xffffffffLL));
}

// The window in ticks (7 days: 6,048,000).
std::uint32_t window_ticks(const GuardPolicy& p) { return static_cast<std::uint32_t>(std::max<TimeNs>(1, p.window / kTick)); }

// The smallest unit in which the window spans at most 65535 units: 1 up to 109 minutes, 14 ticks
// (1.4 s) for a day, 93 (9.3 s) for 7 days.
std::uint32_t unit_for(const GuardPolicy& p) { return (window_ticks(p) + 65534) / 65535; }

// An older failure's tick (the start of its unit) from its stored value and its entry's newest
// tick; exact to the unit while it lies within 65535 units of the newest (all that are kept).
std::uint32_t older_tick(std::uint32_t newest, std::uint16_t v, std::uint32_t unit) {
  const std::uint32_t nu = newest / unit;
  const std::uint32_t back = (nu % kMod + kMod - v) % kMod;
  return back <= nu ? (nu - back) * unit : 0;
}

template <class C>
void erase_count(C& c, std::size_t r1, std::uint32_t i) {
  auto moved = c.map.erase_at(i);
  if (moved != decltype(c.map)::npos && r1 > 0)
    std::copy_n(c.older.begin() + static_cast<std::ptrdiff_t>(moved * r1), r1, c.older.begin() + static_cast<std::ptrdiff_t>(i * r1));
  c.older.resize(c.map.size() * r1);
}

// Adds `weight` failures at tick t to entry i (`fresh`: just inserted, nothing held yet) and
// drops those the window left behind (wt: window_ticks); returns how many it holds now. An older
// failure counts from the start of its unit: it may leave the window up to a unit early, never
// late (no ban for a failure outside the window).
template <class C>
std::uint32_t add_failures(C& c, std::size_t r1, std::uint32_t i, bool fresh, std::uint32_t t, std::uint32_t wt,
                           std::uint32_t unit, int weight) {
  std::uint32_t& newest = c.map.value(i);
  std::uint16_t* older = c.older.data() + i * r1;
  std::array<std::uint32_t, kMaxRing> held{};  // ticks, youngest first
  std::size_t n = 0;
  for (int k = 0; k < weight && n <= r1; ++k) held[n++] = t;
  if (!fresh && t >= newest && t - newest < wt && n <= r1) {
    held[n++] = newest;
    for (std::size_t j = 0; j < r1 && n <= r1 && older[j] != kNone; ++j) {
      const std::uint32_t at = older_tick(newest, older[j], unit);
      if (t - at >= wt) break;  // and the rest are older still
      held[n++] = at;
    }
  }
  newest = t;
  for (std::size_t j = 1; j <= r1; ++j) older[j - 1] = j < n ? static_cast<std::uint16_t>(held[j] / unit % kMod) : kNone;
  return static_cast<std::uint32_t>(n);
}

// The tables are full: drop the least recently failing of 8 sampled sources of the largest one.
void evict_one(Impl& d) {
  int largest = 0;
  std::size_t most = 0;
  d.each_counter([&](const auto& c, int slot) {
    if (c.map.size() > most) most = c.map.size(), largest = slot;
  });
  if (most == 0) return;
  d.with_counter(largest, [&](auto& c) {
    std::uint32_t best = 0, best_tick = 0xffffffffu;
    for (int s = 0; s < 8; ++s) {
      d.rng ^= d.rng << 13;
      d.rng ^= d.rng >> 7;
      d.rng ^= d.rng << 17;
      const auto j = static_cast<std::uint32_t>(d.rng % c.map.size());
      if (c.map.value(j) < best_tick) best = j, best_tick = c.map.value(j);
    }
    erase_count(c, d.ring_size - 1, best);
  });
  ++d.evicted;
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
  impl_->ring_size = static_cast<std::size_t>(std::clamp<int>(policy_.failures, 1, kMaxRing));
  impl_->unit = unit_for(policy_);
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
  const std::size_t r1 = d.ring_size - 1;
  const auto r2 = static_cast<std::size_t>(std::clamp<int>(policy_.failures, 1, kMaxRing));
  const std::uint32_t old_unit = d.unit, new_unit = unit_for(policy_), wt = window_ticks(policy_);
  auto refit = [&](auto& c, int fam) {
    if (relen[fam]) {
      c.map.clear();
      c.older.clear();
      return;
    }
    const int len = fam == 0 ? policy_.ipv4_prefix : policy_.ipv6_prefix;
    for (std::uint32_t i = 0; i < c.map.size();) {
      const IpPrefix counted = prefix_of_key(BanKey{c.map.key(i), 0, static_cast<std::uint8_t>(fam), static_cast<std::uint8_t>(len)});
      const bool allowed = std::any_of(policy_.allow.begin(), policy_.allow.end(), [&](const GuardAllowEntry& e) {
        return e.prefix.len <= counted.len && e.prefix.contains(counted.net);
      }) || (!policy_.allow_countries.empty() && country_rule(policy_, counted.net).rule == CountryRule::allow);
      if (allowed) erase_count(c, r1, i);  // the last entry moved into i
      else ++i;
    }
    if (r2 - 1 == r1 && new_unit == old_unit) return;
    // The newest times stay as they are; older ones move to the new unit, and those outside the
    // new window of their newest go (they could not count again, and might not fit 16 bits).
    std::vector<std::uint16_t> older(c.map.size() * (r2 - 1), kNone);
    for (std::uint32_t i = 0; i < c.map.size(); ++i) {
      const std::uint32_t newest = c.map.value(i);
      for (std::size_t j = 0; j < std::min(r1, r2 - 1) && c.older[i * r1 + j] != kNone; ++j) {
        const std::uint32_t at = older_tick(newest, c.older[i * r1 + j], old_unit);
        if (newest - at >= wt) break;
        older[i * (r2 - 1) + j] = static_cast<std::uint16_t>(at / new_unit % kMod);
      }
    }
    c.older = std::move(older);
  };
  refit(d.v4, 0);
  refit(d.v6, 1);
  d.alone.map.clear();
  d.alone.older.clear();
  d.ring_size = r2;
  d.unit = new_unit;
  while (d.sources() > std::max<std::size_t>(policy_.max_sources, 1)) evict_one(d);  // a lower max_sources
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
// failures must not add up to it. Alone ones live in slot 2 (Impl::alone) under a 64-bit mix of the
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
  const std::size_t r1 = d.ring_size - 1;
  const std::uint32_t t = tick_of(d, now);
  const bool by_country = country.rule == CountryRule::ban;
  const std::uint32_t in_window = d.with_counter(slot.slot, [&](auto& c) {
    const auto k = static_cast<typename std::decay_t<decltype(c.map)>::Key>(slot.key);
    auto i = c.map.find(k);
    const bool fresh = i == decltype(c.map)::npos;
    if (fresh) {
      if (d.sources() >= std::max<std::size_t>(policy_.max_sources, 1)) evict_one(d);  // never k: not there
      i = c.map.insert(k, t);
      c.older.resize(c.map.size() * r1);
    }
    const std::uint32_t held = add_failures(c, r1, i, fresh, t, window_ticks(policy_), d.unit, m.weight);
    if (by_country || held >= static_cast<std::uint32_t>(policy_.failures)) erase_count(c, r1, i);  // the ban holds it now
    return held;
  });
  if (!by_country && in_window < static_cast<std::uint32_t>(policy_.failures)) return GuardRecord::counted;
  const std::uint8_t rule = intern(d, m.rule), form = intern(d, m.form);

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
    d.with_counter(slot.slot, [&](auto& c) {
      auto j = c.map.find(static_cast<typename std::decay_t<decltype(c.map)>::Key>(slot.key));
      if (j != decltype(c.map)::npos) erase_count(c, d.ring_size - 1, j);
    });
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
  const std::size_t r1 = d.ring_size - 1;
  const std::uint32_t t = tick_of(d, std::max(now, d.newest));
  const std::uint32_t wt = window_ticks(policy_);
  d.each_counter([&](auto& c, int slot) {
    // An erase moves the last entry into cur, which is looked at next: only entries kept count
    // as steps, so none is passed over (a walk that wrapped would otherwise skip one).
    auto& cur = d.count_cursor[slot];
    for (std::size_t steps = budget ? std::min(budget, c.map.size()) : c.map.size(); steps > 0 && c.map.size() > 0;) {
      if (cur >= c.map.size()) cur = 0;
      const std::uint32_t newest = c.map.value(cur);
      if (t >= newest && t - newest >= wt) {
        erase_count(c, r1, cur);
      } else {
        ++cur;
        --steps;
      }
    }
    if (c.map.shrink()) c.older.shrink_to_fit();  // a burst of sources has gone
  });
  auto& cur = d.ban_cursor;
  for (std::size_t steps = budget ? std::min(budget, d.bans.size()) : d.bans.size(); steps > 0 && d.bans.size() > 0;) {
    if (cur >= d.bans.size()) cur = 0;
    BanEntry& e = d.bans.value(cur);
    if (e.until != 0 && e.until <= now) {
      out.push_back({prefix_of_key(d.bans.key(cur)), e.until, false});
      deactivate(d, policy_, cur, now);
    }
    if (e.until == 0 && now - e.ended > policy_.forget) {
      d.bans.erase_at(cur);
    } else {
      ++cur;
      --steps;
    }
  }
  d.bans.shrink();
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
  d.with_counter(slot.slot, [&](const auto& c) {
    auto i = c.map.find(static_cast<typename std::decay_t<decltype(c.map)>::Key>(slot.key));
    if (i == decltype(c.map)::npos) return;
    const std::size_t r1 = d.ring_size - 1;
    const std::uint32_t newest = c.map.value(i);
    const std::uint32_t t = tick_of(d, std::max(now, d.newest));
    const std::uint32_t wt = window_ticks(policy_);
    if (t < newest || t - newest >= wt) return;
    ++x.failures;
    x.oldest = d.base + static_cast<TimeNs>(newest) * kTick;
    for (std::size_t j = 0; j < r1 && c.older[i * r1 + j] != kNone; ++j) {
      const std::uint32_t at = older_tick(newest, c.older[i * r1 + j], d.unit);
      if (t - at >= wt) break;
      ++x.failures;
      x.oldest = d.base + static_cast<TimeNs>(at) * kTick;
    }
  });
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
  d.each_counter([&](const auto& c, int) { s.sources += c.map.size(); });
  for (std::uint32_t i = 0; i < d.bans.size(); ++i) s.bans += d.bans.value(i).until != 0 ? 1 : 0;
  s.remembered = d.bans.size();
  s.evicted = d.evicted;
  s.bytes = table_bytes();
  return s;
}

std::size_t GuardDecider::table_bytes() const {
  const Impl& d = *impl_;
  std::size_t bytes = d.bans.bytes() + d.escalation.bytes();
  d.each_counter([&](const auto& c, int) { bytes += c.map.bytes() + c.older.capacity() * sizeof(std::uint16_t); });
  return bytes;
}

}  // namespace reach::engine
