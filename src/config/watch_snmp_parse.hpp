#pragma once
// The `snmp:` and `oids:` keys of a watch target (internal to config/).
#include <string>

#include "config/watch_snmp.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

// `snmp: {version, community | user, auth_*, priv_*}` (config/snmp_keys) plus `retries`.
void parse_watch_snmp_session(yaml::Walker& w, const yaml::Node& n, const std::string& path, SnmpSource& q);
// `oids:` a list of `{oid, name, rate, min, max}` or plain OID strings.
void parse_watch_snmp_oids(yaml::Walker& w, const yaml::Node& n, const std::string& path,
                           std::vector<SnmpOidSpec>& out);

}  // namespace reach::config
