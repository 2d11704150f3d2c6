#pragma once
// What an snmp target of `reach watch` asks: the agent's session (config/snmp_source.hpp) and the
// OIDs to GET, each with its thresholds and whether it is a counter turned into a rate. Pure;
// the YAML keys are read by watch_snmp_parse.hpp, symbolic names resolved by the tool (io/snmp
// has net-snmp's MIB parser). Every key: docs/WATCH-CONFIG.md "snmp".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/snmp_source.hpp"

namespace reach::config {

struct SnmpOidSpec {
  std::string text;                     // as written: "1.3.6.1.2.1.1.3.0", "IF-MIB::ifInOctets.2"
  std::vector<std::uint32_t> numeric;   // the OID; empty until a symbolic name is resolved
  std::string name;                     // `name:`, else `text` (label value, event text)
  bool rate = false;                    // counter: judge and export the per-second rate
  std::optional<double> min, max;       // thresholds on the value (the rate with rate: true)
  int line = 0;
  bool operator==(const SnmpOidSpec&) const = default;
};

struct SnmpTarget {
  SnmpSource session;                   // credentials, retries (0: a probe reports); host and
                                        // timeout are the target's, filled in by the tool
  std::vector<SnmpOidSpec> oids;        // 1..64, in file order
  bool operator==(const SnmpTarget&) const = default;
};

// "1.3.6.1.2.1.1.3.0" or ".1.3.6.1..." (2..128 sub-identifiers, each < 2^32, the first 0..2).
std::optional<std::vector<std::uint32_t>> parse_numeric_oid(std::string_view text);
// A name net-snmp may resolve: "MODULE::object.suffix", "object.0", "sysUpTime.0"; letters,
// digits, '-', '_', '.', and one "::" at most.
bool is_symbolic_oid(std::string_view text);

}  // namespace reach::config
