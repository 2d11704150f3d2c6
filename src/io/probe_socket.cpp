#include "io/probe_socket.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>

#include <cerrno>

#include "sys/batch.hpp"
#include "sys/clock.hpp"
#include "sys/epoll.hpp"

namespace reach::io {
namespace {

const char* describe(SocketKind k, Family f) {
  bool v4 = f == Family::v4;
  switch (k) {
    case SocketKind::icmp_raw: return v4 ? "socket(raw ICMP)" : "socket(raw ICMPv6)";
    case SocketKind::icmp_dgram: return v4 ? "socket(datagram ICMP)" : "socket(datagram ICMPv6)";
    case SocketKind::tcp_raw: return v4 ? "socket(raw TCP/IPv4)" : "socket(raw TCP/IPv6)";
    case SocketKind::udp: return v4 ? "socket(UDP/IPv4)" : "socket(UDP/IPv6)";
    case SocketKind::udp_raw: return v4 ? "socket(raw UDP/IPv4)" : "socket(raw UDP/IPv6)";
  }
  return "socket";
}

}  // namespace

Result<ProbeSocket> ProbeSocket::open(SocketKind kind, Family f, const SocketOptions& opts) {
  int type = SOCK_RAW, proto = 0;
  switch (kind) {
    case SocketKind::icmp_raw: proto = f == Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6}; break;
    case SocketKind::icmp_dgram:
      type = SOCK_DGRAM;
      proto = f == Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
      break;
    case SocketKind::tcp_raw: proto = IPPROTO_TCP; break;
    case SocketKind::udp: type = SOCK_DGRAM; proto = IPPROTO_UDP; break;
    case SocketKind::udp_raw: proto = IPPROTO_UDP; break;
  }
  auto fd = sys::open_socket(f, type, proto, describe(kind, f));
  if (!fd) return tl::unexpected(fd.error());
  ProbeSocket s;
  s.fd_ = std::move(*fd);
  s.kind_ = kind;
  s.family_ = f;
  int raw = s.fd_.get();
  if (!opts.device.empty())
    if (auto r = sys::bind_to_device(raw, opts.device); !r) return tl::unexpected(r.error());
  if (opts.source && opts.source->family() == f)
    if (auto r = sys::bind_to(raw, *opts.source, 0); !r) return tl::unexpected(r.error());
  if (opts.ttl)
    if (auto r = sys::set_ttl(raw, f, *opts.ttl); !r) return tl::unexpected(r.error());
  if (opts.broadcast && f == Family::v4)
    if (auto r = sys::set_broadcast(raw); !r) return tl::unexpected(r.error());
  if (opts.tos >= 0)
    if (auto r = sys::set_tos(raw, f, opts.tos); !r) return tl::unexpected(r.error());
  // TTL of replies: raw IPv4 sockets see the IP header; the others need ancillary data.
  if (!(kind == SocketKind::icmp_raw && f == Family::v4) && !(kind == SocketKind::tcp_raw && f == Family::v4))
    if (auto r = sys::set_recv_ttl(raw, f); !r) return tl::unexpected(r.error());
  if (kind == SocketKind::icmp_dgram || kind == SocketKind::udp)
    if (auto r = sys::set_recv_errors(raw, f); !r) return tl::unexpected(r.error());
  (void)sys::set_buffer_sizes(raw, 1 << 20);  // best effort: the kernel caps it at rmem_max
  // As root (CAP_NET_ADMIN, before capabilities are dropped) past rmem_max: many targets at once.
  if (opts.receive_buffer > (1 << 20)) (void)sys::grow_receive_buffer(raw, opts.receive_buffer);
  s.timestamps_ = sys::enable_timestamping(raw);
  return s;
}

Result<void> ProbeSocket::connect(const IpAddr& dst, std::uint16_t port) {
  return sys::connect_to(fd_.get(), dst, port);
}

Result<void> ProbeSocket::send(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port,
                               std::uint64_t tag) {
  if (!timestamps_) return send_plain(data, dst, port);
  // Name the TX stamp's id ourselves where the kernel allows it: a send that fails after the
  // kernel counted it (an nftables drop in OUTPUT) then cannot shift the ids of later sends.
  if (tx_ids_ != TxIds::counted) {
    std::uint32_t id = next_tx_id_++;
    auto r = send_once(data, dst, port, id);
    if (r) {
      tx_ids_ = TxIds::explicit_;
      remember(id, tag);
      return {};
    }
    if (tx_ids_ == TxIds::explicit_ || r.error().err != EINVAL) return tl::unexpected(r.error());
    tx_ids_ = TxIds::counted;  // kernel older than 6.13: fall back to counting sends
    next_tx_id_ = 0;
  }
  auto r = send_once(data, dst, port, std::nullopt);
  if (!r) return tl::unexpected(r.error());
  remember(next_tx_id_++, tag);
  return {};
}

Result<void> ProbeSocket::send_plain(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port) {
  auto r = send_once(data, dst, port, std::nullopt);
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<std::size_t> ProbeSocket::send_once(std::span<const std::uint8_t> data, const IpAddr& dst,
                                           std::uint16_t port, std::optional<std::uint32_t> id) {
  auto r = sys::send_to(fd_.get(), data, dst, port, id);
  // With IP_RECVERR the kernel also sets the socket's pending error when an ICMP error arrives
  // (the port unreachable of an earlier probe), and the next sendto returns that error instead
  // of sending. It is cleared by being returned and its details are on the error queue: send
  // again. A real error of this send comes back again and is reported.
  bool recverr = kind_ == SocketKind::udp || kind_ == SocketKind::icmp_dgram;
  for (int tries = 0; recverr && !r && tries < 4; ++tries) {
    int e = r.error().err;
    if (e != ECONNREFUSED && e != EHOSTUNREACH && e != ENETUNREACH && e != EHOSTDOWN && e != EPROTO &&
        e != EMSGSIZE && e != EACCES && e != ENONET)
      break;
    r = sys::send_to(fd_.get(), data, dst, port, id);
  }
  return r;
}

void ProbeSocket::remember(std::uint32_t id, std::uint64_t tag) { pending_tx_.remember(id, tag); }

Result<void> ProbeSocket::drain(const Handlers& h, int budget) {
  std::span<std::uint8_t> buf(buf_);
  for (int i = 0; i < budget; ++i) {
    auto e = sys::receive_error(fd_.get(), buf);
    if (!e) return tl::unexpected(e.error());
    if (!*e) break;
    const auto& entry = **e;
    if (entry.kind == sys::ErrQueueEntry::Kind::tx_timestamp) {
      if (auto tag = pending_tx_.take(entry.tx_id))
        if (entry.stamp && h.tx_stamp) h.tx_stamp({*tag, *entry.stamp});
    } else if (entry.kind == sys::ErrQueueEntry::Kind::icmp_error && h.icmp_error) {
      h.icmp_error({buf.first(std::min(entry.payload_len, buf.size())), entry});
    }
  }
  for (int i = 0; i < budget; ++i) {
    auto r = sys::receive(fd_.get(), buf);
    if (!r) {
      // Connected UDP/ICMP sockets report a pending ICMP error here too; it is on the error queue.
      if (r.error().err == ECONNREFUSED || r.error().err == EHOSTUNREACH || r.error().err == ENETUNREACH ||
          r.error().err == EACCES || r.error().err == EPERM)
        continue;
      return tl::unexpected(r.error());
    }
    if (!*r) break;
    if (h.packet) h.packet({buf.first(std::min((*r)->len, buf.size())), **r});
  }
  return {};
}

}  // namespace reach::io

namespace reach::io {

bool wait_for_rx_timestamps(TimeNs budget) {
  IpAddr lo = IpAddr::v4(0x7f000001);
  auto fd = sys::open_socket(Family::v4, SOCK_DGRAM, IPPROTO_UDP, "socket(udp loopback)");
  // Without a usable loopback there is nothing to wait for and nothing to warn about.
  if (!fd || !sys::bind_to(fd->get(), lo, 0) || !sys::enable_timestamping(fd->get())) return true;
  auto port = sys::local_port(fd->get());
  auto ep = sys::Epoll::create();
  if (!port || !ep || !ep->add(fd->get(), EPOLLIN, 0)) return true;
  sys::MonotonicClock clock;
  TimeNs end = clock.now() + budget;
  std::uint8_t byte = 0;
  std::uint8_t buf[16];
  while (clock.now() < end) {
    if (!sys::send_to(fd->get(), {&byte, 1}, lo, *port)) return true;
    (void)ep->wait(kNsPerMs);
    for (int i = 0; i < 64; ++i) {
      auto r = sys::receive(fd->get(), buf);
      if (!r || !*r) break;
      if ((*r)->kernel_rx) return true;
    }
  }
  return false;
}

}  // namespace reach::io
