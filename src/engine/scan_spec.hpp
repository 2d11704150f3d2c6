#pragma once
// What `reach scan` probes: target and port specifications, parsed without any system call
// (names are handed back for the tool to resolve) and fuzzed (tests/fuzz/fuzz_scan_spec.cpp).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::engine {

// A run of consecutive addresses. IPv4: `first`..`last` are whole addresses (host order).
// IPv6: the upper 96 bits are `high` and `first`..`last` the lower 32, so a v6 range is at
// most a /96 (and without --yes at most a /112, like an IPv4 /16).
struct AddrRange {
  Family family = Family::v4;
  std::array<std::uint8_t, 12> high{};
  std::uint32_t first = 0, last = 0;  // inclusive
  std::uint32_t scope = 0;            // the zone's interface index of a link-local range

  std::uint64_t size() const { return std::uint64_t{last} - first + 1; }
  IpAddr at(std::uint32_t low) const;
  static AddrRange single(const IpAddr& a);
};

// One word of a target list: addresses, or a host name for the tool to resolve.
struct TargetToken {
  std::optional<AddrRange> range;
  std::string name;
  int prefix = -1;  // the CIDR prefix length as written, -1 without one
  std::string zone;  // `fe80::1%eth0`, `[fe80::1%eth0]`, `fe80::%eth0/120`: for the tool to look up
};

// "198.18.0.1", "198.18.0.0/22", "2001:db8::1", "2001:db8::/120", "fe80::1%eth0", "host.example"
// (addresses as base/address.hpp reads them).
// Malformed (bad prefix, bad characters, empty): an Error whose detail says what is wrong.
Result<TargetToken> parse_target(std::string_view text);
// Words of an -iL / --exclude-file file: separated by blanks, commas or newlines; `#` starts a
// comment to the end of the line.
std::vector<std::string> split_target_list(std::string_view contents);

// The widest range scanned without --yes: 65,536 addresses (an IPv4 /16, an IPv6 /112).
inline constexpr std::uint64_t kMaxAddressesWithoutYes = 65536;

// The addresses to scan: ranges minus exclusions, overlaps merged, in a fixed order so an
// index names one address (the permutation works on indexes).
class TargetSet {
 public:
  void add(const AddrRange& r) { ranges_.push_back(r); }
  void exclude(const AddrRange& r) { excluded_.push_back(r); }
  // Sorts, merges, subtracts exclusions. Call once, after every add/exclude.
  void finalize();
  std::uint64_t size() const { return total_; }
  IpAddr at(std::uint64_t index) const;  // index < size()
  // Index of `a` when it is in the set.
  std::optional<std::uint64_t> index_of(const IpAddr& a) const;
  const std::vector<AddrRange>& ranges() const { return ranges_; }

 private:
  std::vector<AddrRange> ranges_, excluded_;
  std::vector<std::uint64_t> starts_;  // index of the first address of each range
  std::uint64_t total_ = 0;
};

// "22,80,8000-8100", "-" (all of 1-65535), "-1024", "60000-": sorted, without duplicates.
// Port 0 is refused (nmap allows it explicitly only; nothing listens there).
Result<std::vector<std::uint16_t>> parse_ports(std::string_view text);
// The default port list: nmap's 100 most frequently open TCP ports (nmap-services, --top-ports 100).
const std::vector<std::uint16_t>& top_ports();

}  // namespace reach::engine
