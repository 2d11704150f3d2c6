#pragma once
// Result types of `reach watch`: one round of one target, the alert events it leads to.
// Shared by the watch engine, the history store and every export (Prometheus, blackbox /probe,
// Alertmanager webhook, NDJSON, syslog, MRTG, Nagios).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "model/dnsbl.hpp"

namespace reach::model {

enum class WatchProbe : std::uint8_t { icmp, tcp, syn, udp, http, dns, snmp, dnsbl };

// One OID of an snmp round: the value read (numbers only; a string or OID value counts as read
// but has no number) and, for `rate: true`, the per-second rate since the previous round.
struct SnmpValue {
  std::string name;            // the config's `name:`, else the OID as written
  std::string oid;             // numeric, resolved ("1.3.6.1.2.1.25.1.1.0")
  bool has_value = false;      // a number came back
  double value = 0;            // Counter/Gauge/TimeTicks/Integer as is
  bool has_rate = false;       // rate: true and a previous sample to compare with
  double rate = 0;             // per second, counter wrap taken into account
  std::string text;            // OCTET STRING values (printable), for the API
};

// One round of one target: `sent` packets (ICMP: `packets` per round, spaced, as SmokePing;
// other kinds: 1), the RTT of each answered one, and the verdict. `start_wall` is unix ns (for
// history and exports); durations are ns on the monotonic timeline, RTTs from kernel stamps
// where the kernel gave them.
struct RoundResult {
  std::string target;          // the target's configured name
  WatchProbe probe = WatchProbe::icmp;
  TimeNs start_wall = 0;       // unix time of the round's first probe, ns
  TimeNs duration = 0;         // whole round, resolution included (probe_duration_seconds)
  int sent = 0;
  int received = 0;
  bool success = false;        // the module's verdict (blackbox's probe_success)
  std::vector<TimeNs> rtts;    // one per answered packet, ascending
  std::string reason;          // why it failed ("timed out", "connection refused", "status 503")
  std::string addr;            // address probed, empty when resolution failed
  bool ipv6 = false;           // probe_ip_protocol 6 / 4
  int reply_ttl = -1;          // TTL / hop limit of the last reply, -1 unknown
  // Phase durations by blackbox_exporter's phase names: icmp resolve/setup/rtt; tcp resolve/
  // connect; http resolve/connect/tls/processing/transfer; dns resolve/connect/request.
  std::vector<std::pair<std::string, TimeNs>> phases;
  // HTTP(S) only.
  int http_status = 0;
  double http_version = 0;     // 1.0, 1.1, 2
  std::int64_t content_length = -1;
  std::int64_t body_length = 0;
  int redirects = 0;
  bool tls = false;
  std::string tls_version;     // "TLS 1.3"
  std::int64_t tls_not_after = 0;  // unix seconds of the earliest certificate expiry, 0 unknown
  bool failed_due_to_regex = false;
  // DNS only.
  int dns_rcode = -1;
  int dns_answer_rrs = 0, dns_authority_rrs = 0, dns_additional_rrs = 0;
  // SNMP only: one per configured OID, in config order (empty when the GET failed as a whole).
  std::vector<SnmpValue> snmp;
  // DNSBL only: one row per zone (listed / not listed / error), and whether the round said
  // anything at all: when no zone answered it is a failed probe that leaves the alert state as
  // it was (engine/watch_dnsbl.hpp, docs/WATCH.md "DNS blocklists").
  std::vector<DnsblOutcome> dnsbl;
  bool no_verdict = false;
};

// Alert state of one target as the damping rules see it (persisted across restarts).
enum class TargetState : std::uint8_t { unknown, up, down };

// What the engine decided, for notifiers and the NDJSON event stream.
struct WatchEvent {
  enum class Kind : std::uint8_t { state_change, firing, resolved, reminder, flapping, error };
  Kind kind = Kind::state_change;
  TimeNs wall = 0;             // unix ns
  std::string target;          // empty for daemon-wide events (error)
  std::string alert;           // the alert rule's name, empty for state changes
  TargetState from = TargetState::unknown, to = TargetState::unknown;
  std::string reason;          // the last failure's reason, or the error text
  TimeNs since_wall = 0;       // unix ns the current state began (Alertmanager startsAt)
};

}  // namespace reach::model
