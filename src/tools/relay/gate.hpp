#pragma once
// The one place the accept and close paths ask about admission: the flood defences
// (tools/relay/defence.hpp, per-prefix limits and black-holing) behind a small interface, so
// connections never see how they decide.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "config/relay_config.hpp"

namespace reach::tools::relay {

class Gate {
 public:
  virtual ~Gate() = default;
  // A new connection from `peer`: admitted, or refused with the reason (a metrics label).
  struct Verdict {
    bool ok = true;
    std::string reason;
    // Refused by a global cap (connections, memory) alone, not counted yet: asked with
    // can_evict, the relay closes its oldest connection still in the head phase, reports it to
    // evicted() and asks again without.
    bool evict = false;
  };
  // can_evict: the relay holds a connection that has not forwarded a byte yet.
  virtual Verdict admit(const IpAddr& peer, TimeNs now, bool can_evict) = 0;
  // From a trusted balancer (--accept-proxy), before its PROXY header: counted against the
  // balancer for concurrency only; the header's client is then admitted by handover(). Refused
  // there, the connection stays the balancer's until released.
  virtual Verdict admit_upstream(const IpAddr& upstream, TimeNs now, bool can_evict) = 0;
  // A head-phase connection counted under `victim` was closed to make room (`reason`: the
  // Verdict's, global_conns or memory).
  virtual void evicted(const IpAddr& victim, const std::string& reason, TimeNs now) = 0;
  virtual Verdict handover(const IpAddr& upstream, const IpAddr& client, TimeNs now) = 0;
  // Once for every admitted connection, with the address it is counted under (the client after
  // a handover, else the socket's peer).
  virtual void released(const IpAddr& counted, TimeNs now) = 0;
  // A reload's limits, head deadline and balancers (accept_proxy, never banned in the kernel),
  // without dropping state; `open` is every open connection's counted address. Returns what
  // could not change (for the reload event), or "".
  virtual std::string reconfigure(const config::RelayLimitsConfig& limits, TimeNs head_timeout,
                                  std::vector<IpPrefix> upstreams, std::span<const IpAddr> open, TimeNs now) = 0;
  // When the PROXY header / first request head must be complete.
  virtual TimeNs head_deadline(TimeNs accepted_at) const = 0;
  virtual void head_timed_out(const IpAddr& peer) = 0;
  virtual void tick(TimeNs) {}
  virtual TimeNs tick_interval() const { return 0; }  // 0: no tick
  virtual std::string metrics_text() const { return {}; }  // Prometheus text, appended to ours
  // Approximate bytes of relay buffers now in use (for a memory cap).
  virtual void memory_in_use(std::uint64_t) {}
  virtual std::vector<std::string> take_events() { return {}; }
};

// The one implementation, on the flood defences: defence_gate() in tools/relay/defence.hpp.

}  // namespace reach::tools::relay
