#pragma once
// The flood defences of `reach relay` (issue 14), called from the relay's accept and close paths:
//
//   accept(fd, peer)    -> Admit a = defence.admit(peer, now);
//                          if (!a.ok) { close with SO_LINGER 0 (no TIME_WAIT); continue; }
//                          arm a timer at defence.head_deadline(now) for the PROXY header /
//                          HTTP request head; when it fires first: defence.head_timed_out(peer)
//                          and close.
//   from an accept_proxy source: defence.admit_upstream(balancer, now) at accept, then
//                          defence.handover(balancer, client, now) once the PROXY header names
//                          the client (limits count the client, not the balancer)
//   at a global cap     -> defence.admit(peer, now, true) while the relay holds a connection still
//                          in its head phase: a refusal by the cap alone (evict_for) is not
//                          counted; the relay closes its oldest such connection, calls
//                          defence.evicted(its counted address, reason, now) and asks again
//   connection closed   -> defence.released(counted, now) (exactly once per admitted connection,
//                          under the client after a handover, else the socket's peer)
//   buffers grow/shrink -> defence.set_memory_in_use(bytes)
//   a Reactor timer     -> every defence.flush_interval(): defence.tick(now) (pushes pending
//                          black-hole bans to nftables in one batch, evicts idle prefixes,
//                          unloads libnftables limits.nft_idle after the last batch)
//   /metrics            -> defence.metric_families() (rendered with the relay's own families)
//   NDJSON events       -> defence.take_events()
//   the start line      -> defence.syn_cookies().text(), defence.blackhole_status()
//
// Time is passed in; the rules live in engine::RelayLimits (pure, unit-tested on a fake clock).
// Refused connections never take from an established one: the global and memory caps refuse
// new connections, or evict a connection that has not forwarded a byte yet (a silent flood
// spread over many prefixes must not lock legitimate clients out), never an established one.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "engine/relay_limits.hpp"
#include "format/prom_exposition.hpp"
#include "io/nft_sets.hpp"
#include "tools/relay/gate.hpp"

namespace reach::tools::relay {

using Refusal = engine::Refusal;  // none, per_prefix_conns, per_prefix_rate, global_conns,
                                  // memory, banned
using Admit = engine::Admit;      // { bool ok; Refusal reason; IpPrefix prefix; }

struct DefenceConfig {
  engine::RelayLimitsConfig limits;          // per-prefix, global and memory caps, ban rules,
                                             // blackhole (push bans to nftables), allow-list
  TimeNs head_deadline = 5 * kNsPerSec;      // PROXY header / HTTP request head (slow-loris)
  TimeNs flush_interval = 100 * kNsPerMs;    // how often tick() should run
  io::NftLayout nft;                         // table `inet reach` by default (docs/NFTABLES.md)
  // accept_proxy: a ban overlapping one of these stays in the relay and never reaches the
  // kernel, which sees the balancer's address (a client's /24 holding it would cut off all).
  std::vector<IpPrefix> upstreams;
};

// The kernel's SYN cookies (net.ipv4.tcp_syncookies): 0 off, 1 on when the backlog overflows,
// 2 always. Read once at start and said in the start line.
struct SynCookies {
  int value = -1;  // -1: could not read
  // "SYN cookies on when the SYN queue overflows (net.ipv4.tcp_syncookies=1)", "... off ..."
  std::string text() const;
};
SynCookies read_syn_cookies();

// Where bans go: the real NftSets, or a fake in tests.
using BanSink = std::function<Result<io::BatchOutcome>(std::span<const io::Ban>)>;

struct DefenceCounters {
  std::uint64_t admitted = 0;
  std::uint64_t refused[engine::kRefusalCount] = {};  // by Refusal
  std::uint64_t head_timeouts = 0;                    // slow-loris closes
  std::uint64_t bans_pushed = 0;                      // elements sent to the kernel
  std::uint64_t ban_batches = 0;
  std::uint64_t ban_errors = 0;
  std::uint64_t bans_allowed = 0;                     // refused by the allow-list
  std::uint64_t evicted[engine::kRefusalCount] = {};  // by the cap that was full
};

class Defence {
 public:
  // With config.limits.blackhole, loads libnftables, ensures the table and unloads it again until
  // the first ban batch, unless a sink is given
  // (tests). When that fails (no CAP_NET_ADMIN, no nf_tables) the relay still runs: bans are
  // then kept locally only (admit says banned) and blackhole_status() says why. Reads
  // net.ipv4.tcp_syncookies once.
  static std::unique_ptr<Defence> create(DefenceConfig config, BanSink sink = {});

  // can_evict: the relay holds a connection it may evict (one still in its head phase). A
  // refusal by a global cap alone (evict_for) is then returned uncounted, to be asked again
  // once evicted() made room.
  Admit admit(const IpAddr& peer, TimeNs now, bool can_evict = false);
  // True when `a` was refused by the global connection or memory cap only: closing one
  // connection makes room (a per-prefix refusal, a ban or a full prefix table does not move).
  bool evict_for(const Admit& a) const;
  // The relay closed a head-phase connection counted under `victim` to admit a new one, because
  // of `reason` (global_conns or memory): counted by reason and prefix, a relay_evict event.
  void evicted(const IpAddr& victim, Refusal reason, TimeNs now);
  void released(const IpAddr& peer, TimeNs now);
  // Behind a trusted balancer (--accept-proxy): engine::RelayLimits::admit_upstream / handover.
  Admit admit_upstream(const IpAddr& upstream, TimeNs now, bool can_evict = false);
  Admit handover(const IpAddr& upstream, const IpAddr& client, TimeNs now);
  // A reload: new limits and header deadline, state kept (RelayLimits::reconfigure). Whether bans
  // go to nftables stays as at start (the capability for it may be gone): a change is returned as
  // a note for the reload event, else "".
  std::string reconfigure(const engine::RelayLimitsConfig& limits, TimeNs head_deadline,
                          std::vector<IpPrefix> upstreams, std::span<const IpAddr> open, TimeNs now);
  TimeNs head_deadline(TimeNs accepted_at) const { return accepted_at + config_.head_deadline; }
  void head_timed_out(const IpAddr& peer);
  void set_memory_in_use(std::uint64_t bytes) { limits_.set_memory_in_use(bytes); }

  // Flushes pending bans (one batch) and evicts idle state. Returns the error of the batch, if
  // any; the bans of a failed batch are retried on the next tick (bounded by the queue size).
  Result<void> tick(TimeNs now);
  TimeNs flush_interval() const { return config_.flush_interval; }

  const DefenceCounters& counters() const { return counters_; }
  std::size_t pending_bans() const { return pending_.size(); }
  // What the relay's own families do not say already (it counts admissions, refusals by reason
  // and head timeouts): reach_relay_limit_hits_total{prefix} (the 20 prefixes refused most),
  // reach_relay_bans_total{result}, reach_relay_tracked_prefixes, reach_relay_blackhole_ready,
  // reach_relay_syn_cookies.
  std::vector<format::prom::Family> metric_families() const;
  // NDJSON lines since the last call: {"type":"relay_defence",...} once at start (SYN cookies,
  // black-hole), {"type":"relay_limit","client":...} per client its own prefix's limits refused
  // since the previous tick (reach guard's `relay` rule reads these), {"type":"relay_ban",...},
  // {"type":"relay_ban_error",...}, {"type":"relay_evict","prefix":...,"reason":...,"count":n}
  // per prefix evicted from since the previous tick,
  // (at most 1000 kept between calls; the rest are counted in events_dropped).
  std::vector<std::string> take_events();
  std::uint64_t events_dropped() const { return events_dropped_; }

  const SynCookies& syn_cookies() const { return syn_cookies_; }
  // "black-hole: nftables table inet reach" or "black-hole off: <why>".
  const std::string& blackhole_status() const { return blackhole_status_; }
  // False while the last batch failed (e.g. the table was deleted from outside, until a tick
  // recreates it).
  bool blackhole_ready() const { return static_cast<bool>(sink_) && !sink_failing_; }

  const engine::RelayLimits& limits() const { return limits_; }

 private:
  Defence(DefenceConfig config, BanSink sink);
  DefenceConfig config_;
  engine::RelayLimits limits_;
  BanSink sink_;
  std::unique_ptr<io::NftSets> nft_;
  std::vector<io::Ban> pending_;
  // The bans in the kernel's sets and until when: a table deleted from outside comes back with
  // empty sets, and they go in again with the batch that finds it gone. At most kMaxPending.
  std::map<IpPrefix, TimeNs> in_kernel_;
  TimeNs last_prune_ = 0;
  DefenceCounters counters_;
  std::vector<std::string> events_;
  std::uint64_t events_dropped_ = 0;
  SynCookies syn_cookies_;
  std::string blackhole_status_;
  TimeNs last_evict_ = 0;
  TimeNs last_batch_ = 0;  // of the last ban batch: libnftables is released limits.nft_idle after
  bool sink_failing_ = false;
  TimeNs last_ban_error_event_ = 0;  // a failing sink is said once per kBanErrorEvery, not per tick
  std::string last_ban_error_;
  // Clients refused for their own prefix's limits since the last tick: one relay_limit event
  // each per tick, however many attempts (a flood makes one line per client per 100 ms).
  struct LimitHit {
    Refusal reason = Refusal::none;
    IpPrefix prefix;
    std::uint64_t count = 0;
  };
  std::map<IpAddr, LimitHit> hits_;
  // Evictions by prefix: since the last tick (events) and in all (/metrics, bounded).
  std::map<IpPrefix, LimitHit> evicts_;
  std::map<IpPrefix, std::uint64_t> evicted_by_prefix_;
  void note_hit(const IpAddr& client, const Admit& a);
  // The entry of k, created when there is room (kMaxHitClients); else nullptr, counted dropped.
  template <class K>
  LimitHit* hit_slot(std::map<K, LimitHit>& m, const K& k);
  void flush_hits();
  void flush_evicts();
  IpPrefix prefix_for(const IpAddr& a) const;  // the narrowest level `a` is limited at
  void event(std::string line);
  Admit counted(const Admit& a);  // admitted or refused by reason
};

// The relay's Gate (gate.hpp) on the flood defences. Server::start, in place of open_gate:
//   gate_ = defence_gate(cfg_->limits, cfg_->head_timeout);
std::unique_ptr<Gate> defence_gate(const config::RelayLimitsConfig& limits, TimeNs head_timeout, BanSink sink = {},
                                   std::vector<IpPrefix> upstreams = {});

}  // namespace reach::tools::relay
