#pragma once
// ICMPv4 and ICMPv6: echo builders, message readers, and the packet an ICMP error quotes.
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"
#include "packet/ip.hpp"

namespace reach::packet {

// v4 types
inline constexpr std::uint8_t kIcmp4EchoReply = 0;
inline constexpr std::uint8_t kIcmp4DestUnreach = 3;
inline constexpr std::uint8_t kIcmp4EchoRequest = 8;
inline constexpr std::uint8_t kIcmp4TimeExceeded = 11;
inline constexpr std::uint8_t kIcmp4ParamProblem = 12;
// v6 types
inline constexpr std::uint8_t kIcmp6DestUnreach = 1;
inline constexpr std::uint8_t kIcmp6PacketTooBig = 2;
inline constexpr std::uint8_t kIcmp6TimeExceeded = 3;
inline constexpr std::uint8_t kIcmp6ParamProblem = 4;
inline constexpr std::uint8_t kIcmp6EchoRequest = 128;
inline constexpr std::uint8_t kIcmp6EchoReply = 129;

struct IcmpMessage {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  std::uint16_t ident = 0;  // echo only: bytes 4-5
  std::uint16_t seq = 0;    // echo only: bytes 6-7
  Bytes body;               // everything after the 8-byte header
};

// Reads the 8-byte header; nullopt when shorter. Does not verify the checksum.
std::optional<IcmpMessage> parse_icmp(Bytes data);
// True when the ICMPv4 checksum over `data` is right (ICMPv6 checksums are checked by the kernel).
bool icmp4_checksum_ok(Bytes data);

// Echo request: 8-byte header then `payload_size` bytes. When payload_size >= 8 the first 8
// bytes carry `cookie` big-endian (a keyed value that lets us reject spoofed replies); the rest
// is ping's pattern (byte i = i & 0xff). v4: checksum filled in; v6: left zero (the kernel fills
// it in for raw ICMPv6 and datagram sockets).
Buffer build_echo_request(Family f, std::uint16_t ident, std::uint16_t seq, std::size_t payload_size,
                          std::uint64_t cookie);
// Reads back the cookie a build_echo_request payload carries; nullopt when the payload is shorter.
std::optional<std::uint64_t> echo_cookie(Bytes echo_body);

// What an ICMP error tells: a kind we act on, and the name ping/traceroute users know.
enum class IcmpErrorKind : std::uint8_t {
  not_error,        // echo reply, request or anything informational
  net_unreachable,
  host_unreachable,
  protocol_unreachable,
  port_unreachable,
  admin_prohibited,  // v4 codes 9, 10, 13; v6 code 1 and 5/6 (policy)
  frag_needed,       // v4 3/4, v6 packet too big
  time_exceeded,     // TTL / hop limit exceeded in transit
  reassembly_time_exceeded,
  param_problem,
  other_unreachable,
};

IcmpErrorKind classify_icmp(Family f, std::uint8_t type, std::uint8_t code);
// "Destination Host Unreachable", "Administratively Prohibited", "Time to live exceeded", ...
std::string icmp_error_name(Family f, std::uint8_t type, std::uint8_t code);
// traceroute's annotation: "!H", "!N", "!P", "!X", "!F", "" for port unreachable / time exceeded,
// "!<code>" for others.
std::string icmp_error_flag(Family f, std::uint8_t type, std::uint8_t code);

// The original datagram quoted in an ICMP error body (RFC 792/4443): its IP header and as many
// upper-layer bytes as the router included (at least 8 for a useful match).
struct Quoted {
  IpHeader ip;   // ip.payload: quoted upper-layer bytes
};
std::optional<Quoted> parse_quoted(Family f, Bytes icmp_body);

}  // namespace reach::packet
