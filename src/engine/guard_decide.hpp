#pragma once
// guard's threshold engine: N failures from one source within a sliding window lead to a ban.
// IPv4 sources are counted and banned per ipv4_prefix (/32), IPv6 sources per ipv6_prefix (/64,
// so 300 failures from 300 addresses of one /64 are one source and one ban); when
// ipv6_escalate_after /64s of one /48 are banned at once the /48 is banned instead. A repeat
// offender's ban lasts `factor` times longer each time, up to max_time. The allow-list, loopback
// (and other never-routable sources) and the machine's own addresses are checked before counting
// and again for every ban, and a ban never covers an allowed address. Country rules: a source the
// injected lookup places in a `countries.ban` country is banned at its first failure, one in a
// `countries.allow` country is never counted (the address allow-list is checked first).
//
// Pure: time is passed in, nothing is read from a clock or the system. Memory is bounded: a
// tracked source costs about 25 bytes at the default threshold (flat tables, no node per source;
// measured in tests/unit/engine_guard_decide_test.cpp), at most threshold.max_sources are kept
// (the one least recently failing evicted beyond), and sources with no failure in the window are
// dropped.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "config/guard_config.hpp"
#include "model/guard.hpp"

namespace reach::engine {

// Addresses never counted or banned, with a label for `check`.
struct GuardAllowEntry {
  IpPrefix prefix;
  std::string label;  // "allow", "ssh session", "own address"
};

struct GuardPolicy {
  int failures = 5;
  TimeNs window = 600 * kNsPerSec;
  std::size_t max_sources = 200000;
  TimeNs ban_time = 3600 * kNsPerSec;
  TimeNs max_time = 7 * 86400 * kNsPerSec;
  double factor = 2.0;
  TimeNs forget = 86400 * kNsPerSec;
  int ipv4_prefix = 32;
  int ipv6_prefix = 64;
  int ipv6_escalate_prefix = 48;
  int ipv6_escalate_after = 3;  // 0 = never
  std::vector<GuardAllowEntry> allow;  // allow-list + ssh client; own addresses via set_own()
  // Country rules: ISO 3166-1 alpha-2 codes, upper case. `country_of` is the lookup the tools
  // layer injects (MaxMind files: "DE", or "" when unknown); null, or both lists empty, makes the
  // rules inactive and every source gets the threshold. Called once per counted failure.
  std::vector<std::string> ban_countries, allow_countries;
  std::function<std::string(const IpAddr&)> country_of;
};
// The policy of a parsed config (allow entries labelled "allow").
GuardPolicy guard_policy(const config::GuardConfig& c);

// What record() did with one failure.
enum class GuardRecord : std::uint8_t {
  counted,         // below the threshold
  banned,          // this failure decided a ban (take_bans() has it)
  allowed,         // allow-list / own address: not counted
  never,           // loopback, unspecified, link-local, multicast: not counted
  already_banned,  // a ban holds the source: not counted (lines lag behind the kernel's drop)
  ignored,         // weight 0
  country_allowed, // its country is on countries.allow: not counted
};

class GuardDecider {
 public:
  explicit GuardDecider(GuardPolicy policy);
  ~GuardDecider();
  GuardDecider(GuardDecider&&) noexcept;
  GuardDecider& operator=(GuardDecider&&) noexcept;

  // The machine's own addresses (replaces the previous set; the daemon refreshes it).
  void set_own(const std::vector<IpAddr>& own);
  // Replace the policy (SIGHUP). Bans are kept. Failure counts are kept too, each source's newest
  // `failures` times when that changes (a source over the new threshold is banned at its next
  // failure), except a family whose counting prefix length changed (counted afresh) and sources
  // the new allow-list covers (dropped). Allow-list changes apply to the next failure and to bans
  // decided from then on (the daemon removes bans the new list covers: see allowed_bans()).
  void set_policy(GuardPolicy policy);
  const GuardPolicy& policy() const { return policy_; }

  // One failure of `match` at `now` (non-decreasing across calls is expected; an older time is
  // treated as `now` of the newest seen). A decided ban is queued for take_bans().
  GuardRecord record(const model::GuardMatch& match, TimeNs now);

  // A manual ban (`reach guard --ban`): refused ("ban 198.18.0.0/24: covers 198.18.0.7 (allow)")
  // when the prefix covers an allowed, own or loopback address. duration 0 = the escalation's
  // next duration. Returned, not queued for take_bans().
  Result<model::GuardBan> ban(const IpPrefix& prefix, TimeNs now, TimeNs duration = 0);
  // Takes back a persisted ban at start (false, skipped, when the allow-list now covers it or it
  // has run out): it holds its sources and keeps its offence count. Not queued: the daemon
  // re-applies what it restored with the remaining timeout. A restored ban with a `reason` (its
  // saved words) gives it back in explain(); without one it is "restored from the ban list".
  bool restore(const model::GuardBan& ban, TimeNs now);
  // `--unban`: ends the ban of exactly this prefix and drops the counts under its key; the offence
  // count is kept (a repeat offence still escalates). False when no such ban is active.
  bool unban(const IpPrefix& prefix, TimeNs now);

  // Bans decided since the last call, in decision order (the daemon inserts them as one batch).
  std::vector<model::GuardBan> take_bans();
  // Drops counts older than the window, bans that ran out and offences past `forget`; returns
  // the bans that ran out. Cheap to call every second (work proportional to what it walks:
  // `budget` entries per call, 0 = all).
  std::vector<model::GuardUnban> expire(TimeNs now, std::size_t budget = 0);
  // Active bans the allow-list / own addresses now cover (after set_policy/set_own): remove them.
  std::vector<IpPrefix> allowed_bans() const;
  // Every active ban (for --list and the persistent list), sorted by prefix.
  std::vector<model::GuardBan> active_bans(TimeNs now) const;

  // `reach guard check ADDR`.
  model::GuardExplain explain(const IpAddr& addr, TimeNs now) const;

  struct Stats {
    std::size_t sources = 0;       // prefixes being counted
    std::size_t bans = 0;          // active bans
    std::size_t remembered = 0;    // offence records (bans + forgotten-later)
    std::size_t evicted = 0;       // sources dropped because max_sources was reached
    std::size_t bytes = 0;         // heap bytes of the tables (capacity, not size)
  };
  Stats stats() const;
  // Stats::bytes alone, without walking the tables: it changes when they grow.
  std::size_t table_bytes() const;

  struct Impl;  // the tables (guard_decide.cpp)

 private:
  GuardPolicy policy_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::engine
