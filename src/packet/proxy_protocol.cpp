#include "packet/proxy_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "base/ip_prefix.hpp"

namespace reach::packet::proxy {
namespace {

constexpr std::uint8_t kSig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";

IpAddr map_v4(const IpAddr& a) {
  if (!a.is_v4()) return a;
  std::uint8_t b[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(b + 12, a.data(), 4);
  return IpAddr::from_bytes(Family::v6, b);
}

// resize + memcpy, not a range insert: GCC 12 at -O3 reports a false stringop-overflow for
// inserting a literal into an empty vector (GCC PR 106199), which failed the Release build.
void append(Buffer& out, std::string_view s) {
  const std::size_t at = out.size();
  out.resize(at + s.size());
  if (!s.empty()) std::memcpy(out.data() + at, s.data(), s.size());
}
void append16(Buffer& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

Parsed invalid(std::string why) {
  Parsed p;
  p.status = Parsed::Status::invalid;
  p.error = std::move(why);
  return p;
}

// Decimal 0..65535 without heading zeroes.
bool parse_port(std::string_view s, std::uint16_t& out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

bool parse_addr(std::string_view s, Family f, IpAddr& out) {
  const std::string_view allowed = f == Family::v4 ? "0123456789." : "0123456789abcdefABCDEF:.";
  if (s.empty() || s.find_first_not_of(allowed) != std::string_view::npos) return false;
  auto a = IpAddr::parse(s);  // inet_pton: refuses heading zeroes in IPv4
  if (!a || a->family() != f) return false;
  out = *a;
  return true;
}

Parsed parse_v1(Bytes in) {
  const std::size_t scan = std::min(in.size(), kV1MaxLine);
  const std::string_view text(reinterpret_cast<const char*>(in.data()), scan);
  const auto crlf = text.find("\r\n");
  if (crlf == std::string_view::npos) {
    if (in.size() >= kV1MaxLine) return invalid("v1 line without CRLF in 107 bytes");
    if (text.find('\n') != std::string_view::npos) return invalid("v1 line ends without CR");
    return {};
  }
  Parsed p;
  p.header.version = 1;
  p.header.length = crlf + 2;
  std::string_view rest = text.substr(kV1Prefix.size(), crlf - kV1Prefix.size());
  if (rest.substr(0, 7) == "UNKNOWN" && (rest.size() == 7 || rest[7] == ' ')) {
    p.status = Parsed::Status::complete;
    return p;
  }
  std::string_view f[5];
  for (int i = 0; i < 5; ++i) {
    const auto sp = rest.find(' ');
    if ((sp == std::string_view::npos) != (i == 4)) return invalid("v1 line is not 5 fields");
    f[i] = rest.substr(0, sp);
    if (i < 4) rest.remove_prefix(sp + 1);
  }
  Family fam;
  if (f[0] == "TCP4") fam = Family::v4;
  else if (f[0] == "TCP6") fam = Family::v6;
  else return invalid("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  Endpoints& e = p.header.endpoints;
  if (!parse_addr(f[1], fam, e.src) || !parse_addr(f[2], fam, e.dst)) return invalid("v1 address malformed");
  if (!parse_port(f[3], e.src_port) || !parse_port(f[4], e.dst_port)) return invalid("v1 port malformed");
  p.header.has_endpoints = true;
  p.status = Parsed::Status::complete;
  return p;
}

Parsed parse_v2(Bytes in) {
  if (in.size() < kV2HeaderLen) return {};
  const std::uint8_t ver_cmd = in[12], fam = in[13];
  const std::size_t len = be16(in, 14);
  if ((ver_cmd >> 4) != 2) return invalid("v2 version is not 2");
  const int cmd = ver_cmd & 0x0f;
  if (cmd > 1) return invalid("v2 command is neither LOCAL nor PROXY");
  const int af = fam >> 4, tr = fam & 0x0f;
  if (af > 3 || tr > 2) return invalid("v2 family or transport unassigned");
  if (in.size() < kV2HeaderLen + len) return {};
  Parsed p;
  Header& h = p.header;
  h.version = 2;
  h.length = kV2HeaderLen + len;
  h.local = cmd == 0;
  h.datagram = tr == 2;
  const Bytes body = in.subspan(kV2HeaderLen, len);
  std::size_t addr_len = 0;
  if (af == 1) addr_len = 12;
  else if (af == 2) addr_len = 36;
  else if (af == 3) addr_len = 216;
  if (len < addr_len) return invalid("v2 address block shorter than its family needs");
  if (af == 1 || af == 2) {
    const Family f = af == 1 ? Family::v4 : Family::v6;
    const std::size_t w = af == 1 ? 4 : 16;
    h.endpoints.src = IpAddr::from_bytes(f, body.data());
    h.endpoints.dst = IpAddr::from_bytes(f, body.data() + w);
    h.endpoints.src_port = be16(body, 2 * w);
    h.endpoints.dst_port = be16(body, 2 * w + 2);
    // LOCAL still carries a family, but its addresses are not the client's (section 2.2).
    h.has_endpoints = !h.local && tr == 1;
  }
  // With UNSPEC the block has no known layout: skipped whole, as HAProxy does.
  if (af != 0) {
    for (std::size_t off = addr_len; off < len;) {
      if (len - off < 3) return invalid("v2 TLV header cut short");
      const std::size_t vlen = be16(body, off + 1);
      if (len - off - 3 < vlen) return invalid("v2 TLV longer than the header");
      Tlv t;
      t.type = body[off];
      t.value.assign(body.begin() + static_cast<std::ptrdiff_t>(off + 3),
                     body.begin() + static_cast<std::ptrdiff_t>(off + 3 + vlen));
      h.tlvs.push_back(std::move(t));
      off += 3 + vlen;
    }
  }
  p.status = Parsed::Status::complete;
  return p;
}

}  // namespace

Endpoints header_endpoints(const IpAddr& client, std::uint16_t client_port, const IpAddr& local,
                           std::uint16_t local_port) {
  Endpoints e{unmap_v4(client), unmap_v4(local), client_port, local_port};
  if (e.src.is_v4() != e.dst.is_v4()) {
    if (!e.src.is_v4()) e.dst = map_v4(e.dst);
    else e.src = map_v4(e.src);
  }
  return e;
}

Buffer build_v1(const Endpoints& e) {
  Buffer out;
  out.reserve(kV1MaxLine);
  append(out, e.src.is_v4() ? "PROXY TCP4 " : "PROXY TCP6 ");
  append(out, e.src.to_string() + ' ' + e.dst.to_string() + ' ' + std::to_string(e.src_port) + ' ' +
                  std::to_string(e.dst_port) + "\r\n");
  return out;
}

Buffer build_v1_unknown() {
  Buffer out;
  append(out, "PROXY UNKNOWN\r\n");
  return out;
}

Buffer build_v2(const Endpoints& e, std::span<const Tlv> tlvs) {
  Buffer out(kSig, kSig + 12);
  out.push_back(0x21);  // version 2, PROXY
  out.push_back(e.src.is_v4() ? 0x11 : 0x21);
  append16(out, 0);
  out.insert(out.end(), e.src.data(), e.src.data() + e.src.size());
  out.insert(out.end(), e.dst.data(), e.dst.data() + e.dst.size());
  append16(out, e.src_port);
  append16(out, e.dst_port);
  for (const Tlv& t : tlvs) {
    if (t.value.size() > 65535 || out.size() + 3 + t.value.size() > kV2MaxLen) break;
    out.push_back(t.type);
    append16(out, static_cast<std::uint16_t>(t.value.size()));
    out.insert(out.end(), t.value.begin(), t.value.end());
  }
  put16(out, 14, static_cast<std::uint16_t>(out.size() - kV2HeaderLen));
  return out;
}

Buffer build_v2_local() {
  Buffer out(kSig, kSig + 12);
  out.push_back(0x20);
  out.push_back(0x00);
  append16(out, 0);
  return out;
}

Parsed parse(Bytes in) {
  if (in.empty()) return {};
  const std::size_t n = std::min(in.size(), sizeof kSig);
  if (std::memcmp(in.data(), kSig, n) == 0) return n < sizeof kSig ? Parsed{} : parse_v2(in);
  const std::size_t m = std::min(in.size(), kV1Prefix.size());
  if (std::memcmp(in.data(), kV1Prefix.data(), m) == 0) return m < kV1Prefix.size() ? Parsed{} : parse_v1(in);
  return invalid("not a PROXY protocol header");
}

}  // namespace reach::packet::proxy
