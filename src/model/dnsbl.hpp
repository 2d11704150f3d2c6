#pragma once
// Plain results of `reach check --dnsbl`: one DnsblOutcome per (address, zone).
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"

namespace reach::model {

// Words in docs/CHECK.md ("DNS blocklists").
enum class DnsblStatus : std::uint8_t {
  listed,      // an A record in 127.0.0.0/8 that is a listing code
  not_listed,  // NXDOMAIN (or NOERROR without an A record)
  error,       // the zone did not tell: timeout, SERVFAIL, REFUSED, a refusal code, an answer outside 127/8
};

struct DnsblOutcome {
  std::string input;       // the address as given
  IpAddr addr;             // the address looked up (an IPv4-mapped IPv6 address: its IPv4 address)
  bool mapped_v4 = false;  // the input was ::ffff:a.b.c.d
  std::string zone;
  std::string query;       // the name asked: 2.0.18.198.zone.
  DnsblStatus status = DnsblStatus::error;
  std::vector<std::string> codes;  // the A records of the answer (return codes)
  std::string txt;         // the TXT reason of a listing, when the zone gives one
  std::string reason;      // human words
  std::string rcode;       // "NOERROR", "NXDOMAIN", "SERVFAIL"...; empty without an answer
  std::optional<TimeNs> time;  // query to answer (the last attempt); absent on a timeout
  unsigned attempts = 0;
};

struct DnsblSummary {
  std::size_t total = 0, listed = 0, not_listed = 0, errors = 0;
  std::size_t addresses = 0, zones = 0;
  std::size_t listed_addresses = 0;  // addresses listed on at least one zone
  TimeNs elapsed = 0;
};

}  // namespace reach::model
