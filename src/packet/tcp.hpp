#pragma once
// TCP segments: a SYN builder for probes and a header reader for replies.
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kTcpEce = 0x40;
inline constexpr std::uint8_t kTcpCwr = 0x80;

struct TcpHeader {
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t header_len = 0;  // bytes
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  Bytes payload;
};

// Reads a TCP header; nullopt when shorter than 20 bytes or data offset is inconsistent.
// Only the first 8 bytes are needed for quoted segments: use parse_tcp_ports for those.
std::optional<TcpHeader> parse_tcp(Bytes data);
struct Ports { std::uint16_t sport = 0, dport = 0; std::uint32_t seq = 0; };
// Reads ports and (for TCP) the sequence number from the first 8 bytes of a quoted segment.
std::optional<Ports> parse_l4_ports(Bytes data);

// A SYN with an MSS option (20 + 4 bytes, or + payload), checksum computed over the pseudo header.
Buffer build_tcp_syn(const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint16_t dport,
                     std::uint32_t seq, std::uint16_t window, std::size_t payload_size = 0);
// True when the checksum of segment `data` between src and dst is right.
bool tcp_checksum_ok(const IpAddr& src, const IpAddr& dst, Bytes data);

// hping's flag letters in hping's order (R S A F P U X Y; X = ECE, Y = CWR): "SA", "RA", "R",
// "AFP"...; "none" when no flag is set, as hping prints it.
std::string tcp_flags_string(std::uint8_t flags);

}  // namespace reach::packet
