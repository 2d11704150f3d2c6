#include "packet/netlink.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace reach::packet::nl {
namespace {

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

void put_host16(Buffer& b, std::size_t off, std::uint16_t v) { std::memcpy(b.data() + off, &v, 2); }
void put_host32(Buffer& b, std::size_t off, std::uint32_t v) { std::memcpy(b.data() + off, &v, 4); }

// Parses a hex number of exactly the whole string (no sign, no prefix).
template <class T>
std::optional<T> hex(std::string_view s) {
  T v{};
  if (s.empty() || s.size() > sizeof(T) * 2) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <class T>
std::optional<T> dec(std::string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "0100007F:0050" (v4) or 32 hex digits ":" port (v6); words in host order.
bool parse_endpoint(std::string_view s, Family f, IpAddr& addr, std::uint16_t& port) {
  const std::size_t words = f == Family::v4 ? 1 : 4;
  if (s.size() != words * 8 + 5 || s[words * 8] != ':') return false;
  std::uint8_t bytes[16] = {};
  for (std::size_t i = 0; i < words; ++i) {
    auto w = hex<std::uint32_t>(s.substr(i * 8, 8));
    if (!w) return false;
    std::memcpy(bytes + i * 4, &*w, 4);
  }
  auto p = hex<std::uint16_t>(s.substr(words * 8 + 1));
  if (!p) return false;
  addr = IpAddr::from_bytes(f, bytes);
  port = *p;
  return true;
}

}  // namespace

Buffer build_header(std::size_t body, std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  Buffer b(kHeaderLen + body, 0);
  put_host32(b, 0, static_cast<std::uint32_t>(b.size()));
  put_host16(b, 4, type);
  put_host16(b, 6, flags);
  put_host32(b, 8, seq);
  put_host32(b, 12, 0);  // the kernel
  return b;
}

std::uint16_t host16(Bytes b, std::size_t off) {
  std::uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}
std::uint32_t host32(Bytes b, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
std::uint64_t host64(Bytes b, std::size_t off) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + off, 8);
  return v;
}

std::optional<std::vector<Message>> split(Bytes data) {
  std::vector<Message> out;
  std::size_t off = 0;
  while (off < data.size()) {
    const Bytes rest = data.subspan(off);
    if (rest.size() < kHeaderLen) return std::nullopt;
    const std::uint32_t len = host32(rest, 0);
    if (len < kHeaderLen || len > rest.size()) return std::nullopt;
    Message m;
    m.type = host16(rest, 4);
    m.flags = host16(rest, 6);
    m.seq = host32(rest, 8);
    m.pid = host32(rest, 12);
    m.payload = rest.subspan(kHeaderLen, len - kHeaderLen);
    out.push_back(m);
    // The last message of a buffer may come without its alignment padding.
    off += std::min<std::size_t>(align4(len), rest.size());
  }
  return out;
}

std::optional<int> parse_error(Bytes payload) {
  if (payload.size() < 4) return std::nullopt;
  const auto e = static_cast<std::int32_t>(host32(payload, 0));
  if (e > 0 || e < -4095) return std::nullopt;
  return -e;
}

int parse_done(Bytes payload) {
  if (payload.size() < 4) return 0;
  const auto e = static_cast<std::int32_t>(host32(payload, 0));
  return e < 0 && e >= -4095 ? e : 0;
}

std::optional<std::vector<Attr>> parse_attrs(Bytes data) {
  std::vector<Attr> out;
  std::size_t off = 0;
  while (off < data.size()) {
    const Bytes rest = data.subspan(off);
    if (rest.size() < 4) return std::nullopt;
    const std::uint16_t len = host16(rest, 0);
    if (len < 4 || len > rest.size()) return std::nullopt;
    out.push_back(Attr{static_cast<std::uint16_t>(host16(rest, 2) & NLA_TYPE_MASK), rest.subspan(4, len - 4)});
    off += std::min<std::size_t>(align4(len), rest.size());
  }
  return out;
}

std::optional<InetDiag> parse_inet_diag(Bytes payload) {
  if (payload.size() < kInetDiagMsgLen) return std::nullopt;
  InetDiag d;
  d.family = payload[0];
  if (d.family != AF_INET && d.family != AF_INET6) return std::nullopt;
  const Family f = d.family == AF_INET ? Family::v4 : Family::v6;
  d.state = payload[1];
  d.timer = payload[2];
  d.retrans = payload[3];
  // struct inet_diag_sockid at 4: sport, dport (network order), src[16], dst[16], if, cookie[2]
  d.sport = be16(payload, 4);
  d.dport = be16(payload, 6);
  d.src = IpAddr::from_bytes(f, payload.data() + 8);
  d.dst = IpAddr::from_bytes(f, payload.data() + 24);
  d.ifindex = host32(payload, 40);
  d.cookie = std::uint64_t{host32(payload, 44)} | (std::uint64_t{host32(payload, 48)} << 32);
  d.expires = host32(payload, 52);
  d.rqueue = host32(payload, 56);
  d.wqueue = host32(payload, 60);
  d.uid = host32(payload, 64);
  d.inode = host32(payload, 68);
  auto attrs = parse_attrs(payload.subspan(kInetDiagMsgLen));
  if (!attrs) return std::nullopt;
  for (const Attr& a : *attrs) {
    if (a.type == INET_DIAG_SHUTDOWN && a.value.size() >= 1) d.shutdown = a.value[0];
    if (a.type == INET_DIAG_PROTOCOL && a.value.size() >= 1) d.protocol = a.value[0];
  }
  return d;
}

std::optional<UnixDiag> parse_unix_diag(Bytes payload) {
  if (payload.size() < kUnixDiagMsgLen) return std::nullopt;
  if (payload[0] != AF_UNIX) return std::nullopt;
  UnixDiag d;
  d.type = payload[1];
  d.state = payload[2];
  d.inode = host32(payload, 4);
  d.cookie = std::uint64_t{host32(payload, 8)} | (std::uint64_t{host32(payload, 12)} << 32);
  auto attrs = parse_attrs(payload.subspan(kUnixDiagMsgLen));
  if (!attrs) return std::nullopt;
  for (const Attr& a : *attrs) {
    switch (a.type) {
      case UNIX_DIAG_NAME: {
        std::string n(a.value.begin(), a.value.end());
        if (!n.empty() && n[0] == '\0') {
          n[0] = '@';  // abstract namespace, shown as ss and netstat show it
        } else if (auto z = n.find('\0'); z != std::string::npos) {
          n.resize(z);
        }
        d.name = std::move(n);
        break;
      }
      case UNIX_DIAG_PEER:
        if (a.value.size() >= 4) d.peer = host32(a.value, 0);
        break;
      case UNIX_DIAG_RQLEN:
        if (a.value.size() >= 8) {
          d.rqueue = host32(a.value, 0);
          d.wqueue = host32(a.value, 4);
        }
        break;
      case UNIX_DIAG_UID:
        if (a.value.size() >= 4) d.uid = host32(a.value, 0);
        break;
      default:
        break;
    }
  }
  return d;
}

Buffer build_inet_diag_request(std::uint8_t family, std::uint8_t protocol, std::uint32_t states,
                               std::uint32_t seq, std::uint8_t extensions) {
  Buffer b = build_header(kInetDiagReqLen, kSockDiagByFamily, NLM_F_REQUEST | NLM_F_DUMP, seq);
  b[kHeaderLen + 0] = family;
  b[kHeaderLen + 1] = protocol;
  b[kHeaderLen + 2] = extensions;
  put_host32(b, kHeaderLen + 4, states);
  // The socket id stays zero: no filtering by address in the kernel. Cookie "none" is ~0.
  put_host32(b, kHeaderLen + 8 + 40, 0xffffffffU);
  put_host32(b, kHeaderLen + 8 + 44, 0xffffffffU);
  return b;
}

Buffer build_unix_diag_request(std::uint32_t states, std::uint32_t show, std::uint32_t seq) {
  Buffer b = build_header(kUnixDiagReqLen, kSockDiagByFamily, NLM_F_REQUEST | NLM_F_DUMP, seq);
  b[kHeaderLen + 0] = AF_UNIX;
  put_host32(b, kHeaderLen + 4, states);
  put_host32(b, kHeaderLen + 12, show);
  put_host32(b, kHeaderLen + 16, 0xffffffffU);
  put_host32(b, kHeaderLen + 20, 0xffffffffU);
  return b;
}

std::optional<ProcNetRow> parse_proc_net_line(std::string_view line, Family family) {
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
  std::string_view f[10];
  std::size_t n = 0, i = 0;
  while (n < 10) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\n') ++j;
    f[n++] = line.substr(i, j - i);
    i = j;
  }
  if (n < 10 || f[0].empty() || f[0].back() != ':') return std::nullopt;
  ProcNetRow r;
  if (!parse_endpoint(f[1], family, r.local, r.lport)) return std::nullopt;
  if (!parse_endpoint(f[2], family, r.remote, r.rport)) return std::nullopt;
  auto st = hex<std::uint8_t>(f[3]);
  if (!st) return std::nullopt;
  r.state = *st;
  auto colon = f[4].find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto tx = hex<std::uint32_t>(f[4].substr(0, colon));
  auto rx = hex<std::uint32_t>(f[4].substr(colon + 1));
  auto uid = dec<std::uint32_t>(f[7]);
  auto inode = dec<std::uint64_t>(f[9]);
  if (!tx || !rx || !uid || !inode) return std::nullopt;
  r.tx_queue = *tx;
  r.rx_queue = *rx;
  r.uid = *uid;
  r.inode = *inode;
  return r;
}

}  // namespace reach::packet::nl
