#pragma once
// The session keys of an SNMP map (version, community, user, auth_*, priv_*), shared by usage's
// `snmp:` sources and watch's snmp targets so both accept and refuse the same things.
#include <string>

#include "config/snmp_source.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

// Reads key `k` (value `v`, path `pk`) into `q` when it is one of the session keys; false when
// it is not one (the caller handles its own keys).
bool snmp_session_key(yaml::Walker& w, const std::string& k, const yaml::Node& v, const std::string& pk,
                      SnmpSource& q);
// What only the whole map can tell: v3 keys with version 2c, community with v3, a v3 map without
// user, a protocol without its pass phrase, privacy without authentication.
void check_snmp_session(yaml::Walker& w, const yaml::Node& n, const std::string& p, const SnmpSource& q);

}  // namespace reach::config
