#pragma once
// The three kinds of byte-count source of `reach usage`, each turned into a pair of counter
// readings (rx, tx) for engine::advance, with the counter base that says when a counter
// started over (docs/USAGE-SOURCES.md):
//  - interface (netlink IFLA_STATS64): base "BOOTID.NETNS/IFINDEX" — a reboot or a re-created
//    interface starts at 0;
//  - snmp: base "snmp:HOST/IFINDEX", 64-bit counters when the agent has both ifHC*, else the
//    32-bit ones; `restarted` from sysUpTime (the agent's start) and ifCounterDiscontinuityTime,
//    so a drop after an agent restart is a reset, while counters that went on through it
//    (snmpd restarted on Linux) just count their difference;
//  - mrtg: base "" (nothing tells), 64 bits: a drop is a reset.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/usage_config.hpp"
#include "engine/usage_counter.hpp"
#include "io/snmp_decode.hpp"
#include "sys/link_stats.hpp"

namespace reach::io {
class SnmpSession;
}

namespace reach::tools::usage {

struct SourceSample {
  engine::CounterReading rx, tx;
  double max_rate = engine::kDefaultMaxRate;  // bytes/s: the ceiling of a plausible 32-bit wrap
  std::string display;                        // interface name, SNMP ifIndex/name, MRTG target name
};

// kind interface, from one link dump (sys::read_link_stats, read once per poll for all
// sources) and sys::boot_id(). The link is the one whose permanent MAC (else current MAC)
// equals `src.mac` when given — with several, the one also named `src.interface` — else the one
// named `src.interface`. Errors {op "usage source", addr src.id}: no such interface, or a MAC
// that several links share and no name tells apart.
Result<SourceSample> interface_sample(const config::UsageSource& src, const std::vector<sys::LinkStats>& links,
                                      const std::string& boot_id, TimeNs wall);

// kind snmp. Keeps its session (v3 discovers the agent's engine once) and the ifIndex it
// resolved from `if: "name"`, resolved again after an agent restart (a router may renumber its
// interfaces when it reboots). Blocking: call it off the reactor thread.
class SnmpSampler {
 public:
  explicit SnmpSampler(config::SnmpSource source);
  ~SnmpSampler();
  SnmpSampler(SnmpSampler&&) noexcept;
  SnmpSampler& operator=(SnmpSampler&&) noexcept;
  // `wall` is read when the answer is in.
  Result<SourceSample> sample(const Clock& wall);

 private:
  config::SnmpSource source_;
  std::unique_ptr<io::SnmpSession> session_;
  int if_index_ = 0;
  std::uint32_t last_uptime_ = 0;
};

// The pure part of SnmpSampler::sample: counters read at `wall` to readings.
SourceSample snmp_readings(const std::string& host, const io::SnmpIfCounters& c, TimeNs wall);

// kind mrtg: runs `src.mrtg_argv` (no shell) with `timeout`, parses its 4 lines. Blocking.
// Errors: the command's (sys::run_command) or the parser's (config::parse_mrtg_output).
Result<SourceSample> mrtg_sample(const config::UsageSource& src, TimeNs timeout, const Clock& wall);
// The pure part: output text read at `wall` to readings.
Result<SourceSample> mrtg_readings(std::string_view output, TimeNs wall);

}  // namespace reach::tools::usage
