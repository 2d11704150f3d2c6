#pragma once
// DNS blocklists (RFC 5782), the pure part: which name to ask for an address, and what an
// answer means. No sockets here: tools/check/dnsbl.cpp sends the queries through io::DnsAsync.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "config/dnsbl_zones.hpp"
#include "model/dnsbl.hpp"

namespace reach::engine {

// The zone parser sits in config/ (the watch config checks zones too).
using config::dnsbl_zone;

// The address to look up: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address,
// since DNSBLs list IPv4 addresses in the IPv4 form only.
struct DnsblTarget {
  IpAddr addr;
  bool mapped_v4 = false;
};
DnsblTarget dnsbl_target(const IpAddr& a);

// RFC 5782 §2.1 (IPv4: octets reversed, `2.0.18.198.zone`) and §2.4 (IPv6: 32 nibbles, least
// significant first, `1.0.0.0....8.b.d.0.1.0.0.2.zone`), with a trailing dot (no search list).
std::string dnsbl_query_name(const IpAddr& a, std::string_view zone);

// What the resolver said to the A query (io::DnsResult, without io).
struct DnsblAnswer {
  bool answered = false;   // false: timed out or failed locally (`error` says why)
  bool timed_out = false;
  std::string error;
  int rcode = -1;
  std::string rcode_name;
  std::vector<std::string> a;  // the A records, as text
};

struct DnsblVerdict {
  model::DnsblStatus status = model::DnsblStatus::error;
  std::vector<std::string> codes;
  std::string reason;
};
// Listed: NOERROR with A records, every one in 127.0.0.0/8 and none a refusal. Not listed:
// NXDOMAIN, or NOERROR without an A record. Everything else is an error of the zone, never a
// listing: no answer, SERVFAIL/REFUSED/..., an address outside 127/8 (a resolver that rewrites
// NXDOMAIN), 127.255.255.0/24 (Spamhaus: 252 typo in the zone name, 254 query through a public
// resolver, 255 too many queries) and 127.0.0.1 (URIBL and others refuse queries with it).
DnsblVerdict classify_dnsbl(const DnsblAnswer& a);

// io::DnsAsync writes a TXT record as its strings quoted (`"a" "b"`, `"` and `\` escaped by a
// backslash) and records as separate entries: the text of one record is its strings joined,
// records joined by "; ". Text that is not in that form comes back as it is.
std::string dnsbl_txt_text(const std::vector<std::string>& records);

}  // namespace reach::engine
