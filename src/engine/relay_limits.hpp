#pragma once
// Per-source flood limits of `reach relay`, aggregated by prefix: IPv4 /32 (or /24), IPv6 /64
// AND /48 (one /64 holds 2^64 addresses, so a per-address limit is no limit; one /48 holds
// 65,536 /64s). Each prefix has a count of concurrent connections and a token bucket of new
// connections per second; above them sit a global connection cap and a memory cap. A prefix
// refused too often within a window is banned (the caller black-holes it in the kernel).
// Pure: time is passed in, no clock, no socket. State is bounded: idle prefixes are evicted and
// the table never holds more than max_prefixes entries.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "config/relay_limits.hpp"

namespace reach::engine {

enum class Refusal : std::uint8_t {
  none,
  per_prefix_conns,  // the prefix has max_conns open
  per_prefix_rate,   // the prefix's token bucket is empty
  global_conns,      // max_conns for the whole relay
  memory,            // memory cap, or the prefix table is full of busy prefixes
  banned,            // the prefix is banned (also while the kernel set catches up)
};
inline constexpr std::size_t kRefusalCount = 6;
std::string_view refusal_name(Refusal r);  // "per_prefix_conns", ...

struct Admit {
  bool ok = true;
  Refusal reason = Refusal::none;
  IpPrefix prefix;  // the prefix whose limit refused (or the /32 or /64 that was admitted)
};

// The limits as the config file gives them (config/relay_limits.hpp), taken as they are.
using PrefixLimit = config::PrefixLimit;
using RelayLimitsConfig = config::RelayLimitsConfig;

class RelayLimits {
 public:
  explicit RelayLimits(RelayLimitsConfig config);

  // Decides a new connection from peer. When ok, the caller must call released() once when it
  // closes.
  Admit admit(const IpAddr& peer, TimeNs now);
  void released(const IpAddr& peer, TimeNs now);

  // Behind a trusted load balancer (--accept-proxy) the client's address arrives in the PROXY
  // header, after the accept. Until then the connection is counted against the balancer's
  // prefix for concurrency only (a cap on headers pending from it, with the header deadline):
  // no rate, no strikes, never a ban, since the balancer carries every client. Global caps apply
  // as in admit(). When ok, released(upstream) ends it unless handover() moved it.
  Admit admit_upstream(const IpAddr& upstream, TimeNs now);
  // The header named `client`: the connection moves from the balancer's count to the client's,
  // which meets every per-prefix limit of admit() (bans, concurrency, rate, strikes); the global
  // caps counted it already. Refused: it stays counted as the balancer's (released(upstream)).
  Admit handover(const IpAddr& upstream, const IpAddr& client, TimeNs now);

  // A reload's limits, without dropping state: tokens, strikes and bans stay; the concurrency
  // counts are rebuilt from `open` (the address every open connection is counted under), since
  // the prefix lengths may have changed.
  void reconfigure(RelayLimitsConfig config, std::span<const IpAddr> open, TimeNs now);
  void set_memory_in_use(std::uint64_t bytes) { memory_ = bytes; }

  // Prefixes banned since the last call (each once per ban), with their ban time.
  std::vector<IpPrefix> take_new_bans();
  // Drops idle prefixes and expired bans; call every second or so.
  void evict(TimeNs now);

  struct Hit {
    IpPrefix prefix;
    Refusal reason;
    std::uint64_t count;
  };
  // The prefixes with the most refusals (for /metrics), at most n, most first.
  std::vector<Hit> top_hits(std::size_t n) const;

  std::uint32_t open_conns() const { return open_; }
  std::size_t tracked_prefixes() const { return table_.size(); }
  bool saturated() const;  // at the global or memory cap: the caller may pause accepting
  const RelayLimitsConfig& config() const { return config_; }

  struct Key {
    std::uint64_t hi = 0, lo = 0;
    std::uint8_t len = 0, v6 = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };

 private:
  struct Entry {
    std::uint32_t conns = 0;
    double tokens = 0;
    TimeNs refilled = 0;
    TimeNs last_seen = 0;
    TimeNs strikes_since = 0;
    std::uint32_t strikes = 0;
    TimeNs banned_until = 0;
    std::uint64_t refused = 0;
    Refusal last_reason = Refusal::none;
  };
  // The entry of k, created if needed; nullptr when the table is full. A full table is swept of
  // idle prefixes, but never of `keep` (the other level of the admission under way).
  Entry* entry(const Key& k, const PrefixLimit& lim, TimeNs now, const Key* keep = nullptr);
  Refusal check(Entry& e, const PrefixLimit& lim, TimeNs now) const;
  void strike(Entry& e, const Key& k, Refusal r, TimeNs now);
  bool allowed(const IpAddr& a) const;
  // The levels `a` is counted at, narrowest first (the second may be null).
  void levels(const IpAddr& a, const PrefixLimit* out[2]) const;
  // Takes one connection off each level of `a` (not allow-listed).
  void uncount(const IpAddr& a, TimeNs now);
  Admit check_prefixes(const IpAddr& a, TimeNs now, Entry* entries[2], const PrefixLimit* lims[2]);

  RelayLimitsConfig config_;
  std::unordered_map<Key, Entry, KeyHash> table_;
  std::vector<IpPrefix> new_bans_;
  std::uint32_t open_ = 0;
  std::uint64_t memory_ = 0;
  TimeNs next_full_sweep_ = 0;
};

}  // namespace reach::engine
