#pragma once
// `reach scan`'s engine: which probe goes next (a permutation of target x port, then retry
// passes over the probes that got nothing), the keyed cookie each SYN carries, matching of
// replies without per-probe state, and the wait for late replies. No sockets, no clock reads.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "engine/scan_order.hpp"
#include "engine/scan_spec.hpp"
#include "model/scan.hpp"

namespace reach::engine {

struct ScanConfig {
  std::uint64_t key = 0;   // cookie key, random per run
  std::uint64_t seed = 0;  // permutation seed (--seed)
  int retries = 3;         // passes after the first, over the probes still unanswered
  // More passes, up to this many after the first, while the last retry pass still drew
  // answers: that is loss (or a slow path), not filtering, and the next pass will find more.
  int max_retries = 10;
  TimeNs max_wait = kNsPerSec;        // --wait: the longest wait after a pass
  bool fixed_wait = false;            // --wait given: always wait exactly max_wait
  TimeNs min_wait = 20 * kNsPerMs;    // the adaptive wait never goes below this
};

// Source ports of probes: 61000-65535, above Linux's ephemeral range (32768-60999), so a
// local connection never shares a 4-tuple with a probe.
inline constexpr std::uint16_t kScanPortBase = 61000;
inline constexpr std::uint16_t kScanPortCount = 4536;
static_assert(kScanPortBase + kScanPortCount == 65536, "probe ports run to the top of the port space");
inline bool is_probe_port(std::uint16_t p) { return p >= kScanPortBase; }

struct ScanProbe {
  std::uint64_t index = 0;  // address index * ports + port index
  IpAddr dst;
  std::uint16_t dport = 0, sport = 0;
  std::uint32_t seq = 0;
};

// What the engine made of a packet.
enum class ScanMatch : std::uint8_t { answer, duplicate, ignored, unrelated };

class ScanEngine {
 public:
  ScanEngine(const TargetSet& targets, std::vector<std::uint16_t> ports, ScanConfig cfg);

  std::uint64_t probes() const { return n_; }
  // Probe of an index in the current pass: address, port, and the cookie fields. Each pass
  // sends from its own source port (as nmap's tries do): a retry must not land in the
  // SYN-RECEIVED state its first SYN left behind, where Linux rate-limits the answers.
  ScanProbe probe(std::uint64_t index) const;

  // The next probe of the current pass (recording its send time), or nullopt once the pass
  // is sent: then the engine waits for late replies until wait_until().
  std::optional<ScanProbe> next_probe(TimeNs now);
  // A send the local stack refused: the probe stays unanswered and is retried.
  void send_failed() { ++summary_.send_errors; }
  // Call when next_probe() gave nothing: starts the next retry pass once the wait is over.
  // True when the scan is finished.
  bool advance(TimeNs now);
  // When the current wait ends (meaningful after next_probe() returned nullopt).
  TimeNs wait_until() const;
  bool sending() const { return cursor_ < n_; }
  int pass() const { return pass_; }

  // A TCP segment from `from`:`sport` to our port `dport`.
  ScanMatch on_tcp(const IpAddr& from, std::uint16_t sport, std::uint16_t dport, std::uint32_t ack,
                   std::uint8_t flags, int ttl, TimeNs now);
  // An ICMP destination-unreachable from `from` quoting one of our SYNs (its destination,
  // ports and sequence number).
  ScanMatch on_icmp(const IpAddr& from, Family f, std::uint8_t type, std::uint8_t code, const IpAddr& quoted_dst,
                    std::uint16_t quoted_sport, std::uint16_t quoted_dport, std::uint32_t quoted_seq, int ttl,
                    TimeNs now);
  // --connect: the outcome of probe `index`, found by the tool.
  void record(std::uint64_t index, model::PortState state, model::PortReason reason, const IpAddr& from);

  // Every port of every address that answered anything, sorted by address then port;
  // unanswered probes of those addresses are filtered/no-response when `complete` (every pass
  // ran), and left out when the scan was cut short (they may never have been sent). Addresses
  // that answered nothing are left out (counted in summary().addresses - hosts_up).
  std::vector<model::PortResult> results(bool complete = true) const;
  model::ScanSummary summary() const;
  std::uint64_t answered() const { return answered_count_; }
  std::uint64_t sent() const { return summary_.sent; }
  // Largest RTT measured so far (0 before the first sample).
  TimeNs max_rtt() const { return max_rtt_; }

 private:
  bool is_answered(std::uint64_t i) const { return (answered_[i >> 6] >> (i & 63)) & 1; }
  std::optional<std::uint64_t> index_of(const IpAddr& addr, std::uint16_t port) const;
  std::uint64_t cookie_of(std::uint64_t index) const;
  ScanMatch answer(std::uint64_t index, model::PortState state, model::PortReason reason, const IpAddr& from,
                   int ttl, TimeNs now);
  TimeNs current_wait() const;
  std::uint16_t sport_of(std::uint64_t cookie, int pass) const;
  // Whether `sport` is the source port of the probe with `cookie` in this pass or an earlier one.
  bool sent_from(std::uint64_t cookie, std::uint16_t sport) const;

  const TargetSet& targets_;
  std::vector<std::uint16_t> ports_;
  ScanConfig cfg_;
  std::uint64_t n_ = 0;
  Permutation perm_;
  std::vector<std::uint64_t> answered_;  // one bit per probe: the only per-probe state
  std::uint64_t answered_count_ = 0;
  std::vector<model::PortResult> results_;
  std::uint64_t cursor_ = 0;  // position in the permutation of the current pass
  int pass_ = 0;
  std::uint64_t answered_before_pass_ = 0;
  TimeNs last_send_ = 0;
  // Send times of recent probes by index modulo the ring: RTT samples for the adaptive wait.
  struct Sent {
    std::uint64_t index = ~std::uint64_t{0};
    TimeNs at = 0;
  };
  std::vector<Sent> ring_;
  TimeNs max_rtt_ = 0;
  std::uint64_t rtt_samples_ = 0;  // a sample of 0 ns (same clock reading) is still a sample
  model::ScanSummary summary_;
};

}  // namespace reach::engine
