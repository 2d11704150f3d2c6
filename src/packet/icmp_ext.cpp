#include "packet/icmp_ext.hpp"

#include <algorithm>

#include "packet/checksum.hpp"
#include "packet/icmp.hpp"

namespace reach::packet {
namespace {

constexpr std::size_t kHeader = 8;        // ICMP header before the quote
constexpr std::size_t kMinQuote = 128;    // RFC 4884 §4.1 / §5: quote before an extension
constexpr std::size_t kExtHeader = 4;     // version, reserved, checksum
constexpr std::size_t kObjHeader = 4;     // length, class-num, c-type

bool may_carry_extensions(Family f, std::uint8_t type) {
  if (f == Family::v4)
    return type == kIcmp4DestUnreach || type == kIcmp4TimeExceeded || type == kIcmp4ParamProblem;
  return type == kIcmp6DestUnreach || type == kIcmp6TimeExceeded;
}

// A structure is believed only when its version is 2 and its checksum sums right (RFC 4884 §7).
bool valid_structure(Bytes ext) {
  return ext.size() >= kExtHeader && (ext[0] >> 4) == 2 && checksum(ext) == 0;
}

void parse_mpls(Bytes p, IcmpExtensions& out) {
  for (std::size_t off = 0; off + 4 <= p.size(); off += 4) {
    const std::uint32_t e = be32(p, off);
    out.mpls.push_back({e >> 12, static_cast<std::uint8_t>((e >> 9) & 7), ((e >> 8) & 1) != 0,
                        static_cast<std::uint8_t>(e)});
  }
}

// RFC 5837 §4.1: c-type = role(2) | reserved(2) | ifIndex | IP address | name | MTU, the
// sub-objects following in that order. False when a sub-object does not fit.
bool parse_interface(std::uint8_t c_type, Bytes p, IcmpExtensions& out) {
  InterfaceInfo info;
  info.role = static_cast<InterfaceRole>(c_type >> 6);
  std::size_t off = 0;
  if (c_type & 0x08) {
    if (p.size() < off + 4) return false;
    info.ifindex = be32(p, off);
    off += 4;
  }
  if (c_type & 0x04) {
    if (p.size() < off + 4) return false;
    const std::uint16_t afi = be16(p, off);
    const std::size_t alen = afi == 1 ? 4 : afi == 2 ? 16 : 0;
    if (alen == 0 || p.size() < off + 4 + alen) return false;
    info.addr = IpAddr::from_bytes(afi == 1 ? Family::v4 : Family::v6, p.data() + off + 4);
    off += 4 + alen;
  }
  if (c_type & 0x02) {
    if (p.size() < off + 1) return false;
    const std::size_t len = p[off];  // counts itself; a multiple of 4, at most 64
    if (len < 1 || len > 64 || p.size() < off + len) return false;
    for (std::size_t i = 1; i < len && p[off + i] != 0; ++i) info.name.push_back(static_cast<char>(p[off + i]));
    off += len;
  }
  if (c_type & 0x01) {
    if (p.size() < off + 4) return false;
    info.mtu = be32(p, off);
  }
  out.interfaces.push_back(std::move(info));
  return true;
}

void parse_objects(Bytes objs, IcmpExtensions& out) {
  std::size_t off = 0;
  while (off + kObjHeader <= objs.size()) {
    const std::size_t len = be16(objs, off);
    if (len < kObjHeader || off + len > objs.size()) return;
    const std::uint8_t cls = objs[off + 2];
    const std::uint8_t ctype = objs[off + 3];
    const Bytes payload = objs.subspan(off + kObjHeader, len - kObjHeader);
    if (cls == kExtClassMpls && ctype == 1) parse_mpls(payload, out);
    else if (cls == kExtClassInterface && !parse_interface(ctype, payload, out)) return;
    off += len;
  }
}

}  // namespace

std::optional<IcmpExtensions> parse_icmp_extensions(Family f, Bytes icmp) {
  if (icmp.size() < kHeader || !may_carry_extensions(f, icmp[0])) return std::nullopt;
  const Bytes body = icmp.subspan(kHeader);
  IcmpExtensions out;
  out.quote_len = body.size();
  // v4: byte 5 in 32-bit words; v6: byte 4 in 64-bit words.
  const std::size_t words = f == Family::v4 ? icmp[5] : icmp[4];
  const std::size_t unit = f == Family::v4 ? 4 : 8;
  std::size_t ext_at = 0;
  if (words != 0) {
    const std::size_t len = words * unit;
    if (len > body.size()) return out;  // a length past the end: no extension, keep the whole body
    out.quote_len = len;
    if (len < kMinQuote || len == body.size()) return out;
    ext_at = len;
  } else {
    // Old-style router (RFC 4884 §5): a structure after exactly 128 bytes, believed only if valid.
    if (body.size() < kMinQuote + kExtHeader || !valid_structure(body.subspan(kMinQuote))) return out;
    out.quote_len = kMinQuote;
    ext_at = kMinQuote;
  }
  const Bytes ext = body.subspan(ext_at);
  if (!valid_structure(ext)) return out;
  out.has_extensions = true;
  parse_objects(ext.subspan(kExtHeader), out);
  return out;
}

ExtensionObject mpls_object(std::span<const MplsLabel> labels) {
  ExtensionObject o{kExtClassMpls, 1, Buffer(labels.size() * 4)};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& l = labels[i];
    put32(o.payload, i * 4,
          ((l.label & 0xfffff) << 12) | (std::uint32_t{l.tc & 7u} << 9) | (l.bottom ? 0x100u : 0u) | l.ttl);
  }
  return o;
}

ExtensionObject interface_object(const InterfaceInfo& info) {
  ExtensionObject o{kExtClassInterface, static_cast<std::uint8_t>(static_cast<unsigned>(info.role) << 6), {}};
  auto append32 = [&](std::uint32_t v) {
    o.payload.resize(o.payload.size() + 4);
    put32(o.payload, o.payload.size() - 4, v);
  };
  if (info.ifindex) {
    o.c_type |= 0x08;
    append32(*info.ifindex);
  }
  if (info.addr) {
    o.c_type |= 0x04;
    append32(info.addr->is_v4() ? 0x00010000u : 0x00020000u);
    o.payload.insert(o.payload.end(), info.addr->data(), info.addr->data() + info.addr->size());
  }
  if (!info.name.empty()) {
    o.c_type |= 0x02;
    const std::size_t n = std::min<std::size_t>(info.name.size(), 63);
    const std::size_t len = (n + 1 + 3) / 4 * 4;
    o.payload.push_back(static_cast<std::uint8_t>(len));
    o.payload.insert(o.payload.end(), info.name.begin(), info.name.begin() + static_cast<std::ptrdiff_t>(n));
    o.payload.resize(o.payload.size() + (len - 1 - n), 0);
  }
  if (info.mtu) {
    o.c_type |= 0x01;
    append32(*info.mtu);
  }
  return o;
}

Buffer build_icmp_error_with_extensions(Family f, std::uint8_t type, std::uint8_t code, Bytes quote,
                                        std::span<const ExtensionObject> objects, bool set_length) {
  const std::size_t unit = f == Family::v4 ? 4 : 8;
  Buffer msg(kHeader + quote.size(), 0);  // sized up front: GCC 12 misreads insert() here
  msg[0] = type;
  msg[1] = code;
  std::copy(quote.begin(), quote.end(), msg.begin() + kHeader);
  if (!objects.empty()) {
    std::size_t qlen = std::max(quote.size(), kMinQuote);
    qlen = set_length ? (qlen + unit - 1) / unit * unit : kMinQuote;
    msg.resize(kHeader + qlen, 0);  // an old router truncates or pads to exactly 128
    if (set_length) msg[f == Family::v4 ? 5 : 4] = static_cast<std::uint8_t>(qlen / unit);
    const std::size_t ext_at = msg.size();
    msg.resize(ext_at + kExtHeader, 0);
    msg[ext_at] = 0x20;  // version 2
    for (const auto& o : objects) {
      const std::size_t at = msg.size();
      msg.resize(at + kObjHeader);
      put16(msg, at, static_cast<std::uint16_t>(kObjHeader + o.payload.size()));
      msg[at + 2] = o.class_num;
      msg[at + 3] = o.c_type;
      msg.insert(msg.end(), o.payload.begin(), o.payload.end());
    }
    put16(msg, ext_at + 2, checksum(Bytes(msg).subspan(ext_at)));
  }
  if (f == Family::v4) put16(msg, 2, checksum(msg));
  return msg;
}

}  // namespace reach::packet
