#pragma once
// The PROXY protocol, versions 1 (text) and 2 (binary, with TLVs), as HAProxy's
// doc/proxy-protocol.txt specifies it: builders for what a relay sends to its backend and a
// parser for what a trusted upstream load balancer sends to us (fuzzed by
// tests/fuzz/fuzz_proxy_protocol.cpp). Pure: spans in, bytes or a verdict out.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet::proxy {

// The connection a header describes: who connected (src) to which of our addresses (dst).
// Both of one family.
struct Endpoints {
  IpAddr src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
};

// The family rule: the header carries the client's family, the destination promoted to it.
// v4-mapped addresses are unmapped first, so a v4 client on a dual-stack socket gives TCP4; an
// IPv6 client of a relay listening on IPv4 gives TCP6 with ::ffff:<our address>. A v4 client
// with a genuinely IPv6 destination (no such socket exists) maps the client instead, as HAProxy.
Endpoints header_endpoints(const IpAddr& client, std::uint16_t client_port, const IpAddr& local,
                           std::uint16_t local_port);

// v2 TLV types (section 2.2).
inline constexpr std::uint8_t kTypeAlpn = 0x01, kTypeAuthority = 0x02, kTypeCrc32c = 0x03,
                              kTypeNoop = 0x04, kTypeUniqueId = 0x05, kTypeSsl = 0x20,
                              kTypeNetns = 0x30;
struct Tlv {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const Tlv&, const Tlv&) = default;
};

// "PROXY TCP4 198.18.0.1 198.18.0.2 41234 80\r\n" (TCP6 for IPv6).
Buffer build_v1(const Endpoints& e);
// "PROXY UNKNOWN\r\n": the short form for a connection whose addresses cannot be told.
Buffer build_v1_unknown();
// The 16-byte header, PROXY command, TCP over INET/INET6, then the TLVs in order. Without
// TLVs this is byte for byte what HAProxy 2.6's `send-proxy-v2` sends for a plain TCP
// connection (it adds none: checked in docs/RELAY.md). Throws nothing; a TLV longer than
// 65535 bytes or a total over 65535 is cut off at the TLV that does not fit.
Buffer build_v2(const Endpoints& e, std::span<const Tlv> tlvs = {});
// LOCAL command, UNSPEC family, no addresses: a connection the proxy made on its own (checks).
Buffer build_v2_local();

inline constexpr std::size_t kV1MaxLine = 107;  // with CRLF, section 2.1
inline constexpr std::size_t kV2HeaderLen = 16;
inline constexpr std::size_t kV2MaxLen = kV2HeaderLen + 65535;

struct Header {
  int version = 0;               // 1 or 2
  bool local = false;            // v2 LOCAL: use the connection's own endpoints
  bool has_endpoints = false;    // false: v1 UNKNOWN, v2 LOCAL/UNSPEC/AF_UNIX
  bool datagram = false;         // v2 DGRAM transport
  Endpoints endpoints;
  std::vector<Tlv> tlvs;         // v2, in wire order; unknown types kept (the spec says ignore)
  std::size_t length = 0;        // bytes of the stream the header took
};

struct Parsed {
  enum class Status : std::uint8_t { complete, incomplete, invalid } status = Status::incomplete;
  Header header;      // complete
  std::string error;  // invalid: what was wrong, for a log line
};

// Reads the header at the start of `in` (the first bytes of a connection). `incomplete` means
// more bytes may make it whole (never for more than kV1MaxLine bytes of a v1 line or the length
// a v2 header announces); anything that does not match the protocol exactly is `invalid` and the
// connection must be dropped (section 2).
Parsed parse(Bytes in);

}  // namespace reach::packet::proxy
