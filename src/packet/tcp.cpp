#include "packet/tcp.hpp"

#include "packet/checksum.hpp"
#include "packet/ip.hpp"

namespace reach::packet {

std::optional<TcpHeader> parse_tcp(Bytes data) {
  if (data.size() < 20) return std::nullopt;
  const std::size_t hlen = (std::size_t{data[12]} >> 4) * 4;
  if (hlen < 20 || hlen > data.size()) return std::nullopt;
  TcpHeader t;
  t.sport = be16(data, 0);
  t.dport = be16(data, 2);
  t.seq = be32(data, 4);
  t.ack = be32(data, 8);
  t.header_len = static_cast<std::uint8_t>(hlen);
  t.flags = data[13];
  t.window = be16(data, 14);
  t.checksum = be16(data, 16);
  t.payload = data.subspan(hlen);
  return t;
}

std::optional<Ports> parse_l4_ports(Bytes data) {
  // RFC 792 guarantees only 8 quoted bytes: enough for ports and the TCP sequence number.
  if (data.size() < 8) return std::nullopt;
  return Ports{be16(data, 0), be16(data, 2), be32(data, 4)};
}

Buffer build_tcp_syn(const IpAddr& src, const IpAddr& dst, std::uint16_t sport,
                     std::uint16_t dport, std::uint32_t seq, std::uint16_t window,
                     std::size_t payload_size) {
  constexpr std::size_t kHeader = 24;  // 20 + MSS option
  Buffer b(kHeader + payload_size, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, seq);
  b[12] = (kHeader / 4) << 4;
  b[13] = kTcpSyn;
  put16(b, 14, window);
  // A SYN without MSS looks odd to middleboxes and OS fingerprinters; 1460 is the common value.
  b[20] = 2;
  b[21] = 4;
  put16(b, 22, 1460);
  const auto len = static_cast<std::uint32_t>(b.size());
  put16(b, 16, checksum(b, pseudo_header_sum(src, dst, kProtoTcp, len)));
  return b;
}

bool tcp_checksum_ok(const IpAddr& src, const IpAddr& dst, Bytes data) {
  if (data.size() < 20) return false;
  const auto len = static_cast<std::uint32_t>(data.size());
  return checksum(data, pseudo_header_sum(src, dst, kProtoTcp, len)) == 0;
}

std::string tcp_flags_string(std::uint8_t flags) {
  // hping3 (waitpacket.c) appends letters in this order, not in bit order.
  static constexpr struct {
    std::uint8_t bit;
    char letter;
  } kOrder[] = {{kTcpRst, 'R'}, {kTcpSyn, 'S'}, {kTcpAck, 'A'}, {kTcpFin, 'F'},
                {kTcpPsh, 'P'}, {kTcpUrg, 'U'}, {kTcpEce, 'X'}, {kTcpCwr, 'Y'}};
  std::string s;
  for (const auto& f : kOrder)
    if (flags & f.bit) s += f.letter;
  return s.empty() ? "none" : s;
}

}  // namespace reach::packet
