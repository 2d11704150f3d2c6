#pragma once
// ICMP extension structures (RFC 4884) carried by time-exceeded and unreachable errors: where the
// quoted datagram ends, MPLS label stacks (RFC 4950) and interface information (RFC 5837).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

inline constexpr std::uint8_t kExtClassMpls = 1;       // RFC 4950, c-type 1: label stack
inline constexpr std::uint8_t kExtClassInterface = 2;  // RFC 5837

struct MplsLabel {
  std::uint32_t label = 0;  // 20 bits
  std::uint8_t tc = 0;      // 3 bits (formerly EXP)
  bool bottom = false;      // S bit: last entry of the stack
  std::uint8_t ttl = 0;
};

// RFC 5837 Interface Information Object; the role comes from the c-type's top two bits.
enum class InterfaceRole : std::uint8_t { incoming = 0, sub_ip = 1, outgoing = 2, next_hop = 3 };
struct InterfaceInfo {
  InterfaceRole role = InterfaceRole::incoming;
  std::optional<std::uint32_t> ifindex;
  std::optional<IpAddr> addr;
  std::string name;  // empty when absent
  std::optional<std::uint32_t> mtu;
};

struct IcmpExtensions {
  // Bytes of the quoted original datagram, counted from the end of the 8-byte ICMP header: the
  // RFC 4884 length when set, 128 for an old-style router that appended a valid extension after
  // a 128-byte quote without setting it, else the whole body.
  std::size_t quote_len = 0;
  bool has_extensions = false;  // a version-2 structure with a valid checksum was found
  std::vector<MplsLabel> mpls;  // outermost first, all MPLS objects concatenated
  std::vector<InterfaceInfo> interfaces;
};

// `icmp`: the ICMP message from its type byte on. nullopt when shorter than the 8-byte header or
// not a type that may carry extensions (v4: unreachable, time exceeded, parameter problem; v6:
// unreachable, time exceeded). A malformed or badly summed extension structure is ignored (the
// quote length still holds); parsing of objects stops at the first malformed one.
std::optional<IcmpExtensions> parse_icmp_extensions(Family f, Bytes icmp);

// --- Builders (tests, fuzz seeds) ---

struct ExtensionObject {
  std::uint8_t class_num = 0;
  std::uint8_t c_type = 0;
  Buffer payload;
};
ExtensionObject mpls_object(std::span<const MplsLabel> labels);
ExtensionObject interface_object(const InterfaceInfo& info);

// An ICMP error of `type`/`code` quoting `quote` followed by the extension structure holding
// `objects` (none: no structure). The quote is zero-padded to 128 bytes (and to the length unit)
// when objects follow. `set_length`: RFC 4884 compliant length field; false mimics an old router.
// v4: ICMP checksum filled; v6: left zero (the kernel's job).
Buffer build_icmp_error_with_extensions(Family f, std::uint8_t type, std::uint8_t code, Bytes quote,
                                        std::span<const ExtensionObject> objects, bool set_length = true);

}  // namespace reach::packet
