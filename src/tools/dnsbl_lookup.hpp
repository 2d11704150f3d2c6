#pragma once
// One DNSBL lookup as `reach check --dnsbl` and watch's `dnsbl` probe both make it: the A query
// for an (address, zone) row, engine/dnsbl's reading of its answer, and the TXT query of a
// listing. The callers schedule them (check: many at once, with retries; watch: one round).
#include <string>

#include "base/error.hpp"
#include "io/dns_async.hpp"
#include "model/dnsbl.hpp"

namespace reach::tools {

// The resolver to ask: "ADDR", "ADDR:PORT" or "[V6]:PORT"; empty: resolv.conf's first. `what`
// names the option in errors.
Result<io::DnsServer> dnsbl_dns_server(const std::string& text, const std::string& what = "--dns-server");

// A row to look up: `input` as the user wrote it, `addr` as parsed (an IPv4-mapped address is
// looked up as its IPv4 address).
model::DnsblOutcome dnsbl_row(const std::string& input, const IpAddr& addr, const std::string& zone);

// The row's A or TXT query (`type` "A" or "TXT") to `server`, one try of `timeout`.
io::DnsQuery dnsbl_query(const io::DnsServer& server, const model::DnsblOutcome& row, const char* type,
                         TimeNs timeout);

// Fills `row` from its A answer (status, codes, rcode, reason, time). True when the row is a
// listing, whose TXT (take_dnsbl_txt) is then worth asking for.
bool take_dnsbl_answer(model::DnsblOutcome& row, const io::DnsResult& r, TimeNs timeout);
// One try; no TXT is no error.
void take_dnsbl_txt(model::DnsblOutcome& row, const io::DnsResult& r);

}  // namespace reach::tools
