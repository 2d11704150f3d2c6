#include "sys/socket.hpp"

#include "sys/clock.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <cerrno>
#include <cstring>

namespace reach::sys {
namespace {

Result<void> setopt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) return fail(what, "", errno);
  return {};
}

// A control message is data: seconds a kernel never writes (negative, or past year 2262) must not
// overflow; they saturate, and the RTT checks (engine/rtt) then drop the stamp.
TimeNs ts_to_ns(const timespec& ts) {
  constexpr TimeNs kMaxSec = std::numeric_limits<TimeNs>::max() / kNsPerSec - 1;
  const TimeNs sec = std::clamp<TimeNs>(static_cast<TimeNs>(ts.tv_sec), 0, kMaxSec);
  return sec * kNsPerSec + std::clamp<TimeNs>(ts.tv_nsec, 0, kNsPerSec - 1);
}

std::uint16_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

}  // namespace

socklen_t to_sockaddr(const IpAddr& a, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.is_v4()) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, a.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(port);
  std::memcpy(&s6->sin6_addr, a.data(), 16);
  s6->sin6_scope_id = a.scope();
  return sizeof(sockaddr_in6);
}

std::optional<IpAddr> from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    return IpAddr::from_bytes(Family::v4, reinterpret_cast<const std::uint8_t*>(&s4->sin_addr));
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return IpAddr::from_bytes(Family::v6, reinterpret_cast<const std::uint8_t*>(&s6->sin6_addr))
        .with_scope(s6->sin6_scope_id);
  }
  return std::nullopt;
}

Result<Fd> open_socket(Family f, int type, int protocol, const std::string& what) {
  int fd = ::socket(f == Family::v4 ? AF_INET : AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return fail(what, "", errno);
  return Fd(fd);
}

Result<void> set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return fail("fcntl(O_NONBLOCK)", "", errno);
  return {};
}

Result<void> bind_to_device(int fd, const std::string& device) {
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size())) != 0)
    return fail("bind to interface", device, errno);
  return {};
}

Result<void> bind_to(int fd, const IpAddr& addr, std::uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail("bind", addr.to_string(), errno);
  return {};
}

Result<void> connect_to(int fd, const IpAddr& addr, std::uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail("connect", addr.to_string(), errno);
  return {};
}

Result<bool> connect_nonblocking(int fd, const IpAddr& addr, std::uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
  if (errno == EINPROGRESS) return false;
  return fail("connect", addr.to_string() + ":" + std::to_string(port), errno);
}

Result<IpAddr> local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail("getsockname", "", errno);
  auto a = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (!a) return fail("getsockname", "", 0, "unknown address family");
  return *a;
}

Result<std::uint16_t> local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail("getsockname", "", errno);
  return port_of(ss);
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::optional<TimeNs> tcp_rtt(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_rtt == 0) return std::nullopt;
  return static_cast<TimeNs>(info.tcpi_rtt) * kNsPerUs;
}

bool enable_timestamping(int fd) {
  int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
              SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}

Result<void> set_ttl(int fd, Family f, int ttl, bool unicast_only) {
  if (f == Family::v4) {
    if (auto r = setopt(fd, IPPROTO_IP, IP_TTL, ttl, "setsockopt(IP_TTL)"); !r) return r;
    if (!unicast_only) return setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "setsockopt(IP_MULTICAST_TTL)");
    return {};
  }
  return setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "setsockopt(IPV6_UNICAST_HOPS)");
}

Result<void> set_broadcast(int fd) { return setopt(fd, SOL_SOCKET, SO_BROADCAST, 1, "setsockopt(SO_BROADCAST)"); }

Result<void> set_tos(int fd, Family f, int tos) {
  if (f == Family::v4) return setopt(fd, IPPROTO_IP, IP_TOS, tos, "setsockopt(IP_TOS)");
  return setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, tos, "setsockopt(IPV6_TCLASS)");
}

Result<void> set_recv_ttl(int fd, Family f) {
  if (f == Family::v4) return setopt(fd, IPPROTO_IP, IP_RECVTTL, 1, "setsockopt(IP_RECVTTL)");
  return setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)");
}

Result<void> set_recv_errors(int fd, Family f) {
  if (f == Family::v4) return setopt(fd, IPPROTO_IP, IP_RECVERR, 1, "setsockopt(IP_RECVERR)");
  return setopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "setsockopt(IPV6_RECVERR)");
}

Result<void> set_ipv6_checksum_offset(int fd, int offset) {
  return setopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, offset, "setsockopt(IPV6_CHECKSUM)");
}

Result<void> set_buffer_sizes(int fd, int bytes) {
  // The plain options are silently capped at net.core.rmem_max / wmem_max (about 200 KB by
  // default: a few hundred replies with their TX stamps, a few tens of milliseconds of a
  // 10,000-target watch). The FORCE variants pass the cap where we may (CAP_NET_ADMIN, i.e.
  // before privileges are dropped).
  if (!setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes, "setsockopt(SO_RCVBUFFORCE)"))
    if (auto r = setopt(fd, SOL_SOCKET, SO_RCVBUF, bytes, "setsockopt(SO_RCVBUF)"); !r) return r;
  if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes, "setsockopt(SO_SNDBUFFORCE)")) return {};
  return setopt(fd, SOL_SOCKET, SO_SNDBUF, bytes, "setsockopt(SO_SNDBUF)");
}

std::uint64_t socket_drops(int fd) {
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 || len <= SK_MEMINFO_DROPS * sizeof mem[0]) return 0;
  return mem[SK_MEMINFO_DROPS];
}

Result<std::size_t> send_to(int fd, std::span<const std::uint8_t> data, const IpAddr& addr,
                            std::uint16_t port, std::optional<std::uint32_t> tx_id) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))] = {};
  if (tx_id) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = kScmTsOptId;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint32_t));
    std::memcpy(CMSG_DATA(c), &*tx_id, sizeof(std::uint32_t));
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    ssize_t n = ::sendmsg(fd, &msg, 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail("sendto", addr.to_string(), errno);
  }
  return fail("sendto", addr.to_string(), EINTR);
}

namespace {

// One recvmsg with room for the sender's address and ancillary data.
struct RecvCall {
  sockaddr_storage ss{};
  iovec iov{};
  alignas(cmsghdr) char control[512];
  msghdr msg{};

  ssize_t run(int fd, std::span<std::uint8_t> buf, int flags) {
    iov = {buf.data(), buf.size()};
    msg.msg_name = &ss;
    msg.msg_namelen = sizeof ss;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = ::recvmsg(fd, &msg, flags | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
  }
};

}  // namespace

Result<std::optional<Received>> receive(int fd, std::span<std::uint8_t> buf) {
  RecvCall call;
  ssize_t n = call.run(fd, buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Received>{};
    return fail("recvmsg", "", errno);
  }
  msghdr& msg = call.msg;
  sockaddr_storage& ss = call.ss;
  Received r;
  r.len = static_cast<std::size_t>(n);
  r.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  r.from = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), msg.msg_namelen);
  r.from_port = port_of(ss);
  decode_receive_cmsgs(msg, r);
  if (r.kernel_rx) r.kernel_rx = kernel_stamp_to_monotonic(*r.kernel_rx);
  return std::optional<Received>{r};
}

namespace {

// CMSG_NXTHDR checks that the next header starts inside the buffer, not that this one's
// cmsg_len stays inside it: the kernel never lies, but a decoder must not trust that.
bool fits(const msghdr& msg, const cmsghdr* c, std::size_t data_len) {
  auto start = reinterpret_cast<const char*>(c) - static_cast<const char*>(msg.msg_control);
  std::size_t room = msg.msg_controllen - static_cast<std::size_t>(start);
  return c->cmsg_len >= CMSG_LEN(data_len) && c->cmsg_len <= room;
}

}  // namespace

void decode_receive_cmsgs(msghdr& msg, Received& r) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING && fits(msg, c, sizeof(scm_timestamping))) {
      scm_timestamping ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      if (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0) r.kernel_rx = ts_to_ns(ts.ts[0]);
    } else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) &&
               fits(msg, c, sizeof(int))) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      r.ttl = v;
    }
  }
}

Result<std::optional<ErrQueueEntry>> receive_error(int fd, std::span<std::uint8_t> buf) {
  RecvCall call;
  ssize_t n = call.run(fd, buf, MSG_ERRQUEUE);
  msghdr& msg = call.msg;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ErrQueueEntry>{};
    return fail("recvmsg(MSG_ERRQUEUE)", "", errno);
  }
  ErrQueueEntry e;
  e.payload_len = static_cast<std::size_t>(n);
  decode_error_cmsgs(msg, e);
  if (e.stamp) e.stamp = kernel_stamp_to_monotonic(*e.stamp);
  return std::optional<ErrQueueEntry>{e};
}

void decode_error_cmsgs(msghdr& msg, ErrQueueEntry& e) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING && fits(msg, c, sizeof(scm_timestamping))) {
      scm_timestamping ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      if (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0) e.stamp = ts_to_ns(ts.ts[0]);
      continue;
    }
    bool v4err = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
    bool v6err = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
    bool tserr = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_EE_ORIGIN_TIMESTAMPING;
    if (!(v4err || v6err || tserr) || !fits(msg, c, sizeof(sock_extended_err))) continue;
    sock_extended_err ee;
    std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
    if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
      e.kind = ErrQueueEntry::Kind::tx_timestamp;
      e.tx_id = ee.ee_data;
      continue;
    }
    e.err = static_cast<int>(ee.ee_errno);
    if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
      e.kind = ErrQueueEntry::Kind::icmp_error;
      e.icmp_family = ee.ee_origin == SO_EE_ORIGIN_ICMP ? Family::v4 : Family::v6;
      e.icmp_type = ee.ee_type;
      e.icmp_code = ee.ee_code;
      // The offender's address follows the extended error in the same cmsg.
      const auto* base = reinterpret_cast<const std::uint8_t*>(CMSG_DATA(c));
      std::size_t avail = c->cmsg_len - CMSG_LEN(0);
      if (avail > sizeof ee) {
        sockaddr_storage off{};
        std::size_t olen = std::min(avail - sizeof ee, sizeof off);
        std::memcpy(&off, base + sizeof ee, olen);
        e.offender = from_sockaddr(reinterpret_cast<sockaddr*>(&off), static_cast<socklen_t>(olen));
      }
    } else if (ee.ee_origin == SO_EE_ORIGIN_LOCAL) {
      e.kind = ErrQueueEntry::Kind::local_error;
    }
  }
}

Result<std::optional<std::size_t>> send_stream(int fd, std::span<const std::uint8_t> data) {
  for (;;) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return std::optional<std::size_t>(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>();
    return fail("send", "", errno);
  }
}

Result<std::optional<std::size_t>> read_stream(int fd, std::span<std::uint8_t> buf) {
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) return std::optional<std::size_t>(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>();
    return fail("recv", "", errno);
  }
}

}  // namespace reach::sys
