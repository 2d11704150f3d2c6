#pragma once
// SNMP answers turned into interface counters: the part of the SNMP source that reads what an
// agent sent, apart from the session so a fuzzer can feed it (tests/fuzz/fuzz_snmp.cpp).
// `varbinds_from` copies net-snmp's parsed variables into plain values, checking each value's
// length against its type; `decode_if_counters` is pure.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"

struct variable_list;  // net-snmp's netsnmp_variable_list

namespace reach::io {

using SnmpOid = std::vector<std::uint32_t>;

// ASN.1/SNMP value types we read (RFC 2578, RFC 3416).
inline constexpr std::uint8_t kAsnInteger = 0x02, kAsnOctets = 0x04, kAsnNull = 0x05, kAsnOid = 0x06,
                              kAsnCounter32 = 0x41, kAsnGauge32 = 0x42, kAsnTimeTicks = 0x43,
                              kAsnCounter64 = 0x46, kNoSuchObject = 0x80, kNoSuchInstance = 0x81,
                              kEndOfMibView = 0x82;

struct SnmpVarbind {
  SnmpOid oid;
  std::uint8_t type = 0;
  std::uint64_t number = 0;   // the integer types
  std::string octets;         // OCTET STRING
  SnmpOid oid_value;          // OBJECT IDENTIFIER values
};

struct SnmpIfCounters {
  int if_index = 0;                        // resolved from if_name when needed
  std::uint32_t sys_uptime = 0;            // hundredths of a second (sysUpTime.0)
  std::optional<std::uint64_t> hc_in, hc_out;   // ifHCInOctets/ifHCOutOctets, when the agent has both
  std::uint32_t in32 = 0, out32 = 0;       // ifInOctets/ifOutOctets (0 when the agent has only HC)
  bool has32 = false;                      // the agent answered both 32-bit counters
  std::optional<std::uint32_t> discontinuity;  // ifCounterDiscontinuityTime (TimeTicks)
  std::optional<std::uint64_t> speed;      // bits/s: ifHighSpeed x 10^6, else ifSpeed below 2^32-1
  std::optional<int> oper_status;          // ifOperStatus: 1 up, 2 down, ... 6 notPresent
};

// The OIDs one poll asks for, in this order: sysUpTime.0, ifHCInOctets, ifHCOutOctets,
// ifInOctets, ifOutOctets, ifCounterDiscontinuityTime, ifHighSpeed, ifSpeed, ifOperStatus
// (.if_index).
std::vector<SnmpOid> if_counter_oids(int if_index);
// Columns that name an interface, for resolving `if: "eth0"`: ifName, then ifDescr.
SnmpOid if_name_column();
SnmpOid if_descr_column();
SnmpOid if_oper_status(int if_index);

// The counters in an answer to if_counter_oids(if_index), matched by OID (not position).
// Errors {op "snmp get", addr host}: sysUpTime.0 missing or not TimeTicks, neither the 64- nor
// the 32-bit pair present ("no such interface"), any value of the wrong type or range.
Result<SnmpIfCounters> decode_if_counters(std::span<const SnmpVarbind> vbs, int if_index, const std::string& host);

// Copies at most `max` variables of net-snmp's list; a value whose length does not fit its
// type is copied with type kAsnNull (decode then calls it garbage).
std::vector<SnmpVarbind> varbinds_from(const variable_list* vars, std::size_t max = 64);

// A BER-encoded PDU (the part of an SNMP message after version and community, e.g. a
// GetResponse) through net-snmp's own parser (snmp_pdu_parse), then varbinds_from: what the
// fuzzer feeds. nullopt when net-snmp rejects the bytes.
std::optional<std::vector<SnmpVarbind>> varbinds_from_ber(std::span<const std::uint8_t> pdu);

// "1.3.6.1.2.1.1.3.0"
std::string oid_string(const SnmpOid& oid);
// Whether `oid` lies under `prefix`; the sub-identifier after it (the row) when it is one deeper.
std::optional<std::uint32_t> row_under(const SnmpOid& oid, const SnmpOid& prefix);

}  // namespace reach::io
