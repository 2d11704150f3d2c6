#pragma once
// `reach check --dnsbl ADDR...`: is this address on a DNS blocklist? Every address is looked up
// in every zone (RFC 5782) through io::DnsAsync (c-ares) on one Reactor; engine/dnsbl says what
// the answers mean (docs/CHECK.md, "DNS blocklists").
#include <ostream>
#include <string>
#include <vector>

#include "tools/check/check.hpp"

namespace reach::tools {

// Exit code: 0 no address listed and every zone answered, 1 a listing or a zone that did not
// tell, 2 bad input; --nagios: 0 OK, 2 CRITICAL (listed), 3 UNKNOWN (a zone did not tell, or bad
// input).
int run_dnsbl(const CheckOptions& o, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
