#include "packet/ip.hpp"

#include <algorithm>

#include "packet/icmp.hpp"

namespace reach::packet {
namespace {

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;

constexpr std::uint8_t kExtHopByHop = 0;
constexpr std::uint8_t kExtRouting = 43;
constexpr std::uint8_t kExtFragment = 44;
constexpr std::uint8_t kExtDestOpts = 60;

// Upper-layer bytes from `off` to the length claim, or to the end of what is present.
Bytes clip_payload(Bytes data, std::size_t off, std::size_t claimed_end) {
  return data.subspan(off, std::min(data.size(), claimed_end) - off);
}

// `quoted`: the header comes from an ICMP error, where a length claim below the header length
// (some stacks rewrite it) is tolerated rather than rejected.
std::optional<IpHeader> parse_ipv4(Bytes data, bool quoted) {
  if (data.size() < kIpv4MinHeader || (data[0] >> 4) != 4) return std::nullopt;
  const std::size_t hlen = std::size_t{data[0] & 0x0fu} * 4;
  if (hlen < kIpv4MinHeader || hlen > data.size()) return std::nullopt;
  const std::uint16_t total = be16(data, 2);
  if (total < hlen && !quoted) return std::nullopt;

  IpHeader h;
  h.family = Family::v4;
  h.header_len = static_cast<std::uint16_t>(hlen);
  h.total_len = total;
  h.tos = data[1];
  h.id = be16(data, 4);
  const std::uint16_t frag = be16(data, 6);
  h.dont_fragment = (frag & 0x4000) != 0;
  h.more_fragments = (frag & 0x2000) != 0;
  h.frag_offset = static_cast<std::uint16_t>((frag & 0x1fff) * 8);
  h.ttl = data[8];
  h.protocol = data[9];
  h.src = IpAddr::from_bytes(Family::v4, &data[12]);
  h.dst = IpAddr::from_bytes(Family::v4, &data[16]);
  // Short buffers are truncated captures; longer ones carry link-layer padding.
  h.payload = clip_payload(data, hlen, total >= hlen ? total : data.size());
  return h;
}

std::optional<IpHeader> parse_ipv6(Bytes data, bool quoted) {
  if (data.size() < kIpv6Header || (data[0] >> 4) != 6) return std::nullopt;

  IpHeader h;
  h.family = Family::v6;
  h.tos = static_cast<std::uint8_t>(((data[0] & 0x0f) << 4) | (data[1] >> 4));  // traffic class
  h.total_len = kIpv6Header + be16(data, 4);
  h.ttl = data[7];
  h.src = IpAddr::from_bytes(Family::v6, &data[8]);
  h.dst = IpAddr::from_bytes(Family::v6, &data[24]);

  std::uint8_t next = data[6];
  std::size_t off = kIpv6Header;
  bool done = false;
  while (!done) {
    switch (next) {
      case kExtHopByHop:
      case kExtRouting:
      case kExtDestOpts: {
        if (data.size() < off + 2) return std::nullopt;
        const std::size_t len = (std::size_t{data[off + 1]} + 1) * 8;
        if (data.size() < off + len) return std::nullopt;
        next = data[off];
        off += len;
        break;
      }
      case kExtFragment: {
        if (data.size() < off + 8) return std::nullopt;
        next = data[off];
        const std::uint16_t fo = be16(data, off + 2);
        h.frag_offset = static_cast<std::uint16_t>(fo & 0xfff8);  // 8-byte units in the top 13 bits
        h.more_fragments = (fo & 1) != 0;
        off += 8;
        // A later fragment carries data, not the headers `next` names.
        if (h.frag_offset != 0) done = true;
        break;
      }
      default:
        done = true;
    }
  }
  if (off > 0xffff) return std::nullopt;
  const bool overrun = off > h.total_len;  // extension headers past the payload length claim
  if (overrun && !quoted) return std::nullopt;

  h.protocol = next;
  h.header_len = static_cast<std::uint16_t>(off);
  h.payload = clip_payload(data, off, overrun ? data.size() : h.total_len);
  return h;
}

}  // namespace

std::optional<IpHeader> parse_ipv4(Bytes data) { return parse_ipv4(data, false); }
std::optional<IpHeader> parse_ipv6(Bytes data) { return parse_ipv6(data, false); }

std::optional<IpHeader> parse_ip(Bytes data) {
  if (data.empty()) return std::nullopt;
  switch (data[0] >> 4) {
    case 4: return parse_ipv4(data);
    case 6: return parse_ipv6(data);
    default: return std::nullopt;
  }
}

// Declared in icmp.hpp; lives here to share the lenient IP readers.
std::optional<Quoted> parse_quoted(Family f, Bytes icmp_body) {
  auto ip = f == Family::v4 ? parse_ipv4(icmp_body, true) : parse_ipv6(icmp_body, true);
  if (!ip) return std::nullopt;
  return Quoted{*ip};
}

}  // namespace reach::packet
