#pragma once
// The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sums for IPv4 and IPv6.
#include <cstdint>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

// One's-complement sum of data folded to 16 bits, starting from `initial` (an unfolded sum).
std::uint32_t sum16(Bytes data, std::uint32_t initial = 0);
// Final checksum: ~fold(sum16(data, initial)).
std::uint16_t checksum(Bytes data, std::uint32_t initial = 0);
// Unfolded sum of the pseudo header of RFC 793 (v4) / RFC 8200 8.1 (v6).
std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                std::uint32_t l4_length);

}  // namespace reach::packet
