#pragma once
// One SNMP agent and how to talk to it: usage's SNMP counter sources and watch's snmp targets
// (io::SnmpSession opens it). The keys are read by config/snmp_keys (shared by both parsers).
#include <string>

#include "base/time.hpp"

namespace reach::config {

struct SnmpSource {
  std::string host;              // address or name; port 161 unless "host:port" / "[v6]:port"
  int version = 2;               // 2 (v2c) or 3
  std::string community = "public";           // v2c
  // v3: user required; auth_protocol MD5|SHA|SHA-224|SHA-256|SHA-384|SHA-512 with auth_password
  // (authNoPriv), plus priv_protocol DES|AES|AES-192|AES-256 with priv_password (authPriv).
  std::string user, auth_protocol, auth_password, priv_protocol, priv_password;
  int if_index = 0;              // usage: `if: 2`, or `if: "eth0"` (ifName/ifDescr, resolved by the source)
  std::string if_name;
  TimeNs timeout = kNsPerSec;
  int retries = 1;
  bool operator==(const SnmpSource&) const = default;
};

}  // namespace reach::config
