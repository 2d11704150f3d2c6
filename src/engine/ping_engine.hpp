#pragma once
// The ping engine: when to send which probe to which target, which reply answers which probe,
// and the statistics. It never touches a socket or reads a clock: time is passed in and
// packets are fed in, so tests drive it with a fake clock and scripted replies.
#include <cstdint>
#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "engine/rtt.hpp"
#include "model/check.hpp"
#include "model/ping.hpp"
#include "packet/bytes.hpp"

namespace reach::engine {

struct PingConfig {
  model::Method method = model::Method::icmp;
  std::int64_t count = -1;           // probes per target; -1 until the deadline or interrupted
  TimeNs interval = kNsPerSec;       // between probes to one target
  TimeNs wait = 2 * kNsPerSec;       // a probe unanswered this long is lost
  // A lost probe may still draw an ICMP error (a router gives up on ARP/ND after 3 s): the run
  // waits for one until this long after the probe's origin. At most `wait` has no effect.
  TimeNs error_wait = 0;
  std::optional<TimeNs> deadline;    // total run time limit (ping -w)
  std::size_t payload = 56;          // ICMP/UDP payload bytes; TCP SYN payload
  std::uint16_t port = 0;            // TCP/UDP destination port
  std::uint16_t tcp_window = 64240;
  // Targets start this far apart (at most interval / targets): a thousand probes sent in one
  // instant come back in one burst that overflows the receive buffer. fping paces likewise.
  TimeNs spread = 0;
};

// The largest -s of a method over a family: an IP datagram holds 65535 bytes, less the IPv4
// header (IPv6's is not counted in its payload length) and the ICMP/UDP (8) or TCP (24, with
// the MSS option) header: ICMP and UDP 65507 / 65527, TCP SYN 65491 / 65511; connect sends none.
std::size_t max_payload(model::Method m, Family f);

struct TargetSpec {
  IpAddr addr;
  IpAddr source;              // our address toward it (needed for raw TCP checksums)
  std::uint16_t ident = 0;    // ICMP identifier (raw sockets); TCP/UDP: base source port
  // A multicast or broadcast target: every member answers from its own address. The first
  // answer counts, the others are duplicates with their senders (as ping's DUP!).
  bool group = false;
};

// Which socket a packet came from decides how to read it.
enum class Channel : std::uint8_t {
  icmp_raw,    // v4: IP header + ICMP; v6: ICMPv6 only
  icmp_dgram,  // ICMP message only, the kernel already matched the identifier
  tcp_raw,     // v4: IP header + TCP; v6: TCP only
  udp,         // UDP payload on a socket connected to one target
};

struct Incoming {
  Channel channel = Channel::icmp_raw;
  Family family = Family::v4;
  packet::Bytes data;
  IpAddr from;
  TimeNs rx = 0;
  bool kernel_rx = false;
  std::optional<TimeNs> user_rx;       // when read, if rx is the kernel's stamp (the RTT check's fallback)
  int ttl = -1;                        // from ancillary data, when the packet has no IP header
  std::optional<std::size_t> target;   // set when the socket serves one target only
};

// An ICMP error the kernel put on a socket's error queue (datagram ICMP and UDP sockets).
struct IncomingError {
  Channel channel = Channel::udp;
  Family family = Family::v4;
  packet::Bytes original;  // the payload we sent, as the kernel returns it
  std::uint8_t type = 0, code = 0;
  IpAddr offender;
  TimeNs rx = 0;
  bool kernel_rx = false;
  std::optional<TimeNs> user_rx;
  std::optional<std::size_t> target;
};

struct ConnectOutcome {
  enum class Kind : std::uint8_t { connected, refused, failed } kind = Kind::failed;
  int err = 0;                          // errno when failed
  std::optional<model::IcmpSeen> icmp;  // the ICMP error queued for the socket (IP_RECVERR)
  bool immediate = false;               // connect() itself failed: the local stack decided
  TimeNs when = 0;                      // user-space time the outcome was seen
  std::optional<TimeNs> kernel_rtt;     // TCP_INFO, when connected
};

struct Outgoing {
  std::size_t target = 0;
  std::uint32_t seq = 0;
  std::uint16_t sport = 0;   // TCP/UDP source port chosen for this probe (0: any)
  packet::Buffer bytes;      // what to send (empty for connect probes)
};

class PingEngine {
 public:
  PingEngine(PingConfig cfg, std::vector<TargetSpec> targets, std::uint64_t key, TimeNs start);

  // Probes due at `now`; call sent() or send_failed() for each.
  std::vector<Outgoing> due(TimeNs now);
  // `user_tx` is read just before the send call, `after` just after it (engine/rtt.hpp).
  void sent(std::size_t target, std::uint32_t seq, TimeNs user_tx, std::optional<TimeNs> after = std::nullopt);
  model::ProbeEvent send_failed(std::size_t target, std::uint32_t seq, TimeNs now, std::string error);
  // The kernel's TX timestamp for a probe, from the socket error queue.
  void tx_stamp(std::size_t target, std::uint32_t seq, TimeNs kernel_tx);

  std::vector<model::ProbeEvent> on_packet(const Incoming& in);
  std::vector<model::ProbeEvent> on_error(const IncomingError& in);
  std::vector<model::ProbeEvent> on_connect(std::size_t target, std::uint32_t seq, const ConnectOutcome& out);
  std::vector<model::ProbeEvent> expire(TimeNs now);

  // Stop sending (SIGINT); outstanding probes still get their wait unless `hard`.
  void stop(TimeNs now, bool hard);
  // The next time something is due (a send or an expiry); nullopt when done.
  std::optional<TimeNs> next_wakeup() const;
  bool done(TimeNs now) const;

  std::size_t target_count() const { return targets_.size(); }
  const TargetSpec& target(std::size_t i) const { return targets_[i].spec; }
  model::PingSummary summary(std::size_t target, TimeNs now) const;
  // Packets that looked like answers to our probes but were malformed or forged.
  std::uint64_t ignored_total() const { return ignored_unmatched_; }

 private:
  enum class SlotState : std::uint8_t { outstanding, answered, errored, expired };
  struct Slot {
    std::uint32_t seq = 0;
    SendTimes send;
    SlotState state = SlotState::outstanding;
  };
  struct Expiry {
    std::size_t target;
    std::uint32_t seq;
  };
  // Where a probe becomes lost: its wait, counted from the origin its RTT counts from.
  TimeNs deadline(const Slot& s) const { return send_origin(s.send) + cfg_.wait; }
  TimeNs error_deadline(const Slot& s) const { return send_origin(s.send) + std::max(cfg_.wait, cfg_.error_wait); }
  // The expiry's slot while its lost probe may still draw an ICMP error, else nullptr.
  const Slot* lingering(const Expiry& x, TimeNs now) const;
  // The expiry's slot while its probe is still waiting for an answer, else nullptr.
  const Slot* waiting(const Expiry& x) const;
  struct TargetState {
    TargetSpec spec;
    std::uint32_t next_seq = 1;
    TimeNs next_send = 0;
    std::uint64_t transmitted = 0, received = 0, duplicates = 0, errors = 0, late = 0, ignored = 0;
    TimeNs rtt_min = 0, rtt_max = 0;
    double rtt_sum = 0, rtt_sum2 = 0;
    bool all_kernel = true;
    std::uint64_t stamps_dropped = 0;
    TimeNs last_activity = 0;
    std::unordered_map<std::uint16_t, Slot> slots;  // by the 16 bits a reply carries back
  };

  struct Match {
    std::size_t target;
    std::uint16_t wire;
  };
  bool sending(const TargetState& t) const;
  Slot* find(TargetState& t, std::uint16_t wire);
  // Builds the event for an answer to (target, wire); nullopt (and counts it) when no probe fits.
  std::optional<model::ProbeEvent> answer(std::size_t target, std::uint16_t wire, model::EventType type,
                                          const RxTimes& rx);
  // A UDP answer may carry nothing of ours: it then answers the oldest probe still waiting.
  std::optional<std::uint16_t> oldest_outstanding(std::size_t target) const;
  std::optional<std::size_t> target_by_addr(const IpAddr& a) const;
  // The target at address `a` whose ICMP identifier (or, for TCP, source port range) is `id`.
  std::optional<std::size_t> target_for(const IpAddr& a, std::uint16_t id) const;
  std::uint64_t probe_cookie(std::size_t target, std::uint32_t seq) const;
  std::uint16_t tcp_check16(std::size_t target, std::uint16_t sport) const;
  std::uint16_t tcp_sport(std::size_t target, std::uint32_t seq) const;
  packet::Buffer build(std::size_t target, std::uint32_t seq) const;
  // The probe a UDP payload of ours names (seq + keyed cookie), nullopt when it is not ours.
  std::optional<std::uint32_t> udp_probe_seq(std::size_t target, packet::Bytes payload) const;
  void count_ignored(std::optional<std::size_t> target);

  std::vector<model::ProbeEvent> match_icmp(const Incoming& in);
  std::vector<model::ProbeEvent> match_tcp(const Incoming& in);
  std::vector<model::ProbeEvent> match_udp(const Incoming& in);
  std::vector<model::ProbeEvent> match_icmp_error(Family f, packet::Bytes icmp, const IpAddr& from,
                                                  const RxTimes& rx, int ttl, std::uint32_t ip_len);

  PingConfig cfg_;
  std::vector<TargetState> targets_;
  std::uint64_t key_;
  TimeNs start_;
  TimeNs stop_at_ = -1;      // when sending stopped early (interrupt or deadline)
  bool hard_stop_ = false;
  // In send order: origins follow it to within a send call, so the deadlines are in order too.
  std::deque<Expiry> expiries_;
  // Targets by address (a reply is matched among thousands of targets per packet), and the
  // group targets, which any address may answer.
  std::map<IpAddr, std::vector<std::size_t>> by_addr_;
  std::vector<std::size_t> groups_;
  std::deque<Expiry> lingering_;  // lost probes still waiting for an ICMP error, in send order
  std::uint64_t ignored_unmatched_ = 0;
};

}  // namespace reach::engine
