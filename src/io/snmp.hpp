#pragma once
// Read-only SNMP GETs through net-snmp (v2c, v3 authNoPriv/authPriv). Thread-safe: net-snmp's
// single-session API, with one process-wide lock around what touches its global state (library
// init, the USM user table of v3 sessions). Blocking up to timeout x (retries+1) per request —
// the daemon calls it off the reactor thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "config/snmp_source.hpp"
#include "io/snmp_decode.hpp"

namespace reach::io {

// One session with one agent; v3 discovers the engine once, at open.
class SnmpSession {
 public:
  // Errors: {op "snmp open", addr host}: an unknown auth/priv protocol, a pass phrase shorter
  // than 8 characters, a host net-snmp cannot resolve.
  static Result<std::unique_ptr<SnmpSession>> open(const config::SnmpSource& source);
  ~SnmpSession();
  SnmpSession(const SnmpSession&) = delete;
  SnmpSession& operator=(const SnmpSession&) = delete;

  // One GET of all `oids`. Errors: {op "snmp get", addr host, detail net-snmp's message, or the
  // agent's error-status}.
  Result<std::vector<SnmpVarbind>> get(const std::vector<SnmpOid>& oids);
  // open, get, close as one, for a probe that opens a session per round (watch): a v3 one holds
  // the library for all three, so no other v3 session exists meanwhile. net-snmp signs with the
  // keys of the first session of a user and engine it knows, process-wide, so two at once (a
  // right and a wrong pass phrase on one agent, probed side by side) used each other's keys:
  // a wrong one came up, a right one went down. Errors: open's and get's.
  static Result<std::vector<SnmpVarbind>> get_once(const config::SnmpSource& source, const std::vector<SnmpOid>& oids);
  // The ifIndex whose ifName (else ifDescr) equals `name`, walking at most 10000 rows. Of
  // several rows with that name (a re-created interface leaves its old row behind, down, in
  // net-snmp), the newest (highest ifIndex) that is up, else the newest.
  Result<int> resolve_if(const std::string& name);
  // The counters of one interface (if_counter_oids + decode_if_counters).
  Result<SnmpIfCounters> if_counters(int if_index);

  const std::string& host() const { return host_; }

 private:
  SnmpSession() = default;
  Result<std::vector<SnmpVarbind>> request(int command, const std::vector<SnmpOid>& oids);
  void* sess_ = nullptr;
  std::string host_;
  bool v3_ = false;  // v3 calls hold the library lock (USM); v2c calls do not
};

// Opens a session, resolves `if_name` when `if_index` is 0, reads the counters, closes.
// Errors: {op "snmp get", addr host, detail net-snmp's message or "no such object ..."}.
Result<SnmpIfCounters> snmp_if_counters(const config::SnmpSource& source);

// A MIB name ("HOST-RESOURCES-MIB::hrSystemUptime.0", "sysUpTime.0") as a numeric OID, through
// net-snmp's MIB parser. The MIBs are read once, on first use, from $MIBDIRS (':'-separated) when
// set, else from Debian's directories (kSnmpMibDirs). Errors: {op "snmp mib", addr the name,
// detail "unknown name (MIBs read from ...)"}.
inline constexpr const char* kSnmpMibDirs =
    "/usr/share/snmp/mibs:/usr/share/snmp/mibs/iana:/usr/share/snmp/mibs/ietf:/usr/share/mibs/netsnmp:"
    "/usr/share/mibs/iana:/usr/share/mibs/ietf:/usr/share/mibs/site";
Result<SnmpOid> snmp_resolve_name(const std::string& name);

// The transport address net-snmp should use: "udp:HOST:161", "udp:HOST:PORT" for "host:port",
// "udp6:[V6]:PORT" for a bare IPv6 address or "[v6]:port". Pure.
std::string snmp_peer_name(const std::string& host);

}  // namespace reach::io
