#pragma once
// The trace engine: which probes go out when (a window of TTLs in flight, a send gap), what they
// carry (Paris flow-stable probes: the probe's identity sits in the UDP checksum, the ICMP
// sequence or the TCP sequence, never in the ports), which probe an answer belongs to, and when
// the trace is over. Pure: time and packets are passed in, nothing here touches a socket.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "engine/rtt.hpp"
#include "model/trace.hpp"
#include "packet/bytes.hpp"

namespace reach::engine {

struct TraceConfig {
  model::TraceMethod method = model::TraceMethod::udp;
  IpAddr target;
  IpAddr source;             // our address toward the target (in the pseudo header and quotes)
  std::uint16_t sport = 0;   // UDP/TCP source port; ICMP identifier
  std::uint16_t dport = 33434;
  int first_ttl = 1, max_ttl = 30, queries = 3;
  int window = 16;           // probes in flight at once (traceroute -N)
  TimeNs wait = 5 * kNsPerSec;  // longest wait for one probe (-w MAX)
  double here = 3.0;         // ... or HERE x the RTT of an answer from the same hop
  double near = 10.0;        // ... or NEAR x the RTT of an answer from a later hop (traceroute -w)
  // ... but never less than this (or MAX when MAX is shorter): 3 x a 0.2 ms LAN RTT is below the
  // jitter of a router's ICMP slow path and of a busy host's softirq, and a probe given up too
  // early is a false star (and a lost link for MDA, which cannot take a late answer back).
  TimeNs min_adaptive_wait = 50 * kNsPerMs;
  TimeNs send_gap = 0;       // rate limit: at least this much between two sends
  bool classic = false;      // vary the destination port (UDP) / source port (TCP) / checksum (ICMP)
  std::size_t payload = 32;  // UDP/ICMP payload bytes (at least 14)
  // Unprivileged: the kernel writes the UDP/ICMP header, so probes are payload only (UDP) or an
  // echo whose identifier the kernel replaces; answers come from the socket error queue.
  bool kernel_header = false;
  std::uint16_t id_base = 0;  // offsets probe numbers, so rounds of --report never mix
  std::uint64_t key = 0;      // keyed cookies
  std::vector<std::uint16_t> flows;  // optional: flow id per probe index; empty: one flow
  // No schedule of its own: probes are asked for one at a time with probe() (the MDA drives
  // it), every answer is kept, and the trace never "ends" (done() = nothing in flight).
  bool manual = false;
};

// One probe to send: bytes ready for the socket, with the TTL and ports to send it with.
struct TraceOutgoing {
  std::uint32_t id = 0;
  int ttl = 0;
  std::uint16_t sport = 0, dport = 0;
  packet::Buffer bytes;
};

// What a raw socket received: an ICMP message (errors and echo replies) or a TCP segment.
struct TraceIncoming {
  enum class Kind : std::uint8_t { icmp, tcp } kind = Kind::icmp;
  Family family = Family::v4;
  packet::Bytes data;
  bool has_ip_header = false;  // raw IPv4 sockets deliver the IP header; IPv6 ones do not
  IpAddr from;                 // sender (from recvmsg; the IP header's when present)
  TimeNs rx = 0;
  bool kernel_rx = false;
  std::optional<TimeNs> user_rx;  // when read, if rx is the kernel's stamp (the RTT check's fallback)
  int ttl = -1;
};

// An ICMP error from the socket error queue (unprivileged): what the kernel quoted of our probe.
struct TraceQueuedError {
  Family family = Family::v4;
  packet::Bytes original;  // UDP: our payload; ICMP datagram socket: our echo message
  std::uint8_t type = 0, code = 0;
  IpAddr offender;
  TimeNs rx = 0;
  bool kernel_rx = false;
  std::optional<TimeNs> user_rx;
};

class TraceEngine {
 public:
  TraceEngine(TraceConfig cfg, TimeNs start);

  // Probes to send now (window and send gap permitting). Call sent() or send_failed() for each.
  std::vector<TraceOutgoing> due(TimeNs now);
  // `when` is read just before the send call, `after` just after it (engine/rtt.hpp).
  void sent(std::uint32_t id, TimeNs when, std::optional<TimeNs> after = std::nullopt);
  void send_failed(std::uint32_t id, TimeNs when);
  void tx_stamp(std::uint32_t id, TimeNs stamp);
  // manual mode: a probe of `flow` at `ttl`, now; nullopt once 65534 probes have been made.
  std::optional<TraceOutgoing> probe(int ttl, std::uint16_t flow, TimeNs now);

  // Each returns the probe it answered, if any (also late answers to a hop not yet complete).
  std::optional<model::TraceProbe> on_packet(const TraceIncoming& in);
  std::optional<model::TraceProbe> on_queued_error(const TraceQueuedError& in);
  // Probes whose wait ran out by `now`.
  std::vector<model::TraceProbe> expire(TimeNs now);
  // Hops that are complete, in TTL order, each handed out once (for streaming output).
  std::vector<model::TraceHop> take_hops();

  std::optional<TimeNs> next_wakeup() const;
  bool done() const;
  model::TraceResult result(TimeNs now) const;
  const TraceConfig& config() const { return cfg_; }

  // Wire helpers, exposed for tests and the fuzzer.
  std::uint16_t wire_id(std::uint32_t id) const;          // the 16-bit probe identity on the wire
  std::optional<std::uint32_t> id_from_wire(std::uint16_t wire) const;
  std::uint16_t flow_of(std::uint32_t id) const;

 private:
  enum class State : std::uint8_t { unsent, in_flight, answered, timed_out, failed };
  struct Slot {
    State state = State::unsent;
    SendTimes send;
    model::TraceProbe probe;
  };

  std::uint32_t probe_count() const;
  int planned_ttl(std::uint32_t id) const { return cfg_.first_ttl + static_cast<int>(id / cfg_.queries); }
  int ttl_of(std::uint32_t id) const { return slots_[id].probe.ttl; }
  // The largest RTT answered at each TTL, for the adaptive waits.
  using HopRtts = std::vector<std::optional<TimeNs>>;
  HopRtts hop_rtts() const;
  TimeNs deadline(std::uint32_t id, const HopRtts& rtts) const;
  bool resolved(const Slot& s) const { return s.state != State::unsent && s.state != State::in_flight; }
  bool wanted(std::uint32_t id) const;  // not above the hop where the trace ends
  packet::Buffer build(std::uint32_t id, std::uint16_t& sport, std::uint16_t& dport) const;
  std::uint64_t cookie_of(std::uint32_t id) const;
  std::uint16_t check16(std::uint32_t id) const;

  struct Quote {
    std::uint8_t proto = 0;
    IpAddr src, dst;
    packet::Bytes l4;  // what the router quoted of our probe's upper layer (8 bytes or more)
  };
  std::optional<std::uint32_t> match_quote(const Quote& q);
  std::optional<model::TraceProbe> answer(std::uint32_t id, model::TraceAnswer kind, const IpAddr& from,
                                          const RxTimes& rx, int ttl, std::uint8_t type, std::uint8_t code);
  std::optional<model::TraceProbe> match_icmp(const TraceIncoming& in, packet::Bytes icmp, const IpAddr& from,
                                              int ttl);
  std::optional<model::TraceProbe> match_tcp(const TraceIncoming& in, packet::Bytes seg, const IpAddr& from,
                                             int ttl);

  TraceConfig cfg_;
  TimeNs start_;
  std::vector<Slot> slots_;
  std::uint32_t next_ = 0;       // next probe to send
  int in_flight_ = 0;
  TimeNs next_send_ = 0;
  std::optional<int> final_ttl_;
  bool reached_ = false;
  int emitted_ttl_ = 0;          // hops up to this TTL have been handed out
  model::TraceCounters counters_;
};

}  // namespace reach::engine
