#pragma once
// ICMP echo rounds for many targets on one raw socket per family, for as long as the daemon
// runs: each round sends `packets` echoes spaced `spacing` apart (SmokePing's pings per step),
// and ends when every echo was answered or timed out. Pure: the tool sends what due() returns,
// feeds replies, TX stamps and time in, and collects finished rounds.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "engine/rtt.hpp"
#include "packet/bytes.hpp"

namespace reach::engine {

struct EchoRoundSpec {
  IpAddr addr;
  int packets = 1;            // >= 1
  TimeNs spacing = 0;         // between two echoes of one round
  TimeNs timeout = kNsPerSec; // per echo
  std::size_t payload = 56;   // >= 8: the first 8 bytes carry the keyed cookie
};

struct EchoOut {
  std::uint32_t probe = 0;    // pass back to sent()/tx_stamp(); also the TX-stamp tag
  IpAddr addr;
  packet::Buffer bytes;       // the ICMP(v6) message (v6 checksum left to the kernel)
};

struct EchoRound {
  std::uint32_t target = 0;
  int sent = 0, received = 0;
  std::vector<TimeNs> rtts;   // ascending
  int reply_ttl = -1;
  int errors = 0;             // ICMP errors (unreachable...) about this round's echoes
  std::string error;          // the first one's name, with its sender
  int stamps_dropped = 0;     // kernel stamps that failed engine/rtt's checks (user time used)
};

class EchoRounds {
 public:
  // `key`: random per run (cookies); `ident_base`: random 16 bits mixed into identifiers.
  EchoRounds(std::uint64_t key, std::uint16_t ident_base) : key_(key), ident_base_(ident_base) {}

  // Starts a round for `target` at `now`. Rounds of one target may overlap (the last echoes of
  // one still waiting while the next begins); each finishes on its own.
  void start(std::uint32_t target, const EchoRoundSpec& spec, TimeNs now);
  // Drops the target's running rounds without a result (a reload removed the target).
  void cancel(std::uint32_t target);
  // Datagram ICMP sockets: the kernel replaces our identifier with the socket's own, so
  // replies are matched by sequence number alone (at most 65,536 echoes in flight).
  void set_kernel_ident(bool on) { kernel_ident_ = on; }

  // Echoes to send now, at most `max` (the rest stay due): a caller that sends a bounded batch
  // per loop turn reads the replies of one batch before the next, so a burst (every round due at
  // once after the loop stalled) cannot overflow the socket's receive buffer.
  std::vector<EchoOut> due(TimeNs now, std::size_t max = SIZE_MAX);
  // The echo was handed to the kernel between `before` and `after` (user clock); the kernel's
  // TX stamp comes later through tx_stamp. RTTs are paired by engine/rtt, as ping's.
  void sent(std::uint32_t probe, TimeNs before, TimeNs after);
  void send_failed(std::uint32_t probe, const std::string& error);
  void tx_stamp(std::uint32_t probe, TimeNs kernel_tx);

  // An echo reply (ICMP message bytes, without IP header) from `from`; false when it is not an
  // answer to a probe of ours (wrong id, unknown probe, bad cookie, other sender, duplicate).
  bool on_reply(Family f, packet::Bytes icmp, const IpAddr& from, const RxTimes& rx, int ttl);
  // An ICMP error quoting one of our echoes (`quoted_icmp`: the quoted ICMP header onwards;
  // `quoted_dst`: the quoted destination, nullptr when the kernel gave only our payload).
  bool on_error(Family f, std::uint8_t type, std::uint8_t code, packet::Bytes quoted_icmp, const IpAddr* quoted_dst,
                const IpAddr& from);

  // Rounds finished by `now` (all answered, or the last echo's timeout passed).
  std::vector<EchoRound> finished(TimeNs now);
  // The earliest send time or deadline of an unanswered echo (answered ones are dropped from the
  // deadlines by finished(), so call it after finished()); nullopt when idle.
  std::optional<TimeNs> next_wakeup() const;
  std::size_t outstanding() const { return probes_.size(); }
  std::uint64_t ignored() const { return ignored_; }

 private:
  struct Probe {
    std::uint32_t target = 0;
    std::uint64_t round = 0;
    TimeNs send_at = 0, deadline = 0;
    SendTimes times;
    bool sent = false, done = false;
  };
  struct Round {
    std::uint64_t id = 0;
    EchoRoundSpec spec;
    EchoRound result;
    int pending = 0;           // echoes not yet answered, failed or expired
    TimeNs end = 0;            // the last echo's deadline once all are sent
  };
  static std::uint16_t ident_of(std::uint32_t probe, std::uint16_t base) {
    return static_cast<std::uint16_t>((probe >> 16) ^ base);
  }
  std::uint64_t cookie_of(std::uint32_t probe, const IpAddr& addr) const;
  void settle(std::uint32_t probe, Probe& p);
  Round* round_of(const Probe& p);
  std::uint32_t probe_of(std::uint16_t ident, std::uint16_t seq) const;

  std::uint64_t key_;
  std::uint16_t ident_base_;
  std::uint32_t next_probe_ = 1;
  std::uint64_t next_round_ = 1;
  bool kernel_ident_ = false;
  std::unordered_map<std::uint64_t, Round> rounds_;      // by round id
  std::unordered_map<std::uint32_t, Probe> probes_;      // by probe number (ident:seq)
  using Timed = std::pair<TimeNs, std::uint32_t>;        // (when, probe)
  using Heap = std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>>;
  Heap sendq_;    // probes by send time
  Heap expiry_;   // sent probes by deadline
  std::vector<EchoRound> done_;
  std::uint64_t ignored_ = 0;
};

}  // namespace reach::engine
