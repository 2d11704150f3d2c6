#include "sys/netlink.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <vector>

#include "packet/netlink.hpp"

namespace reach::sys {

namespace {

constexpr std::size_t kRecvBuffer = 1 << 16;
constexpr std::size_t kMaxChunks = 1 << 20;  // a dump of ~8 million sockets at most

Result<Fd> open_netlink(int protocol, const char* op) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return fail(op, "", errno);
  Fd owned(fd);
  timeval tv{5, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    return fail("setsockopt(SO_RCVTIMEO)", "netlink", errno);
  int size = 1 << 20;  // best effort: fewer lost-dump retries under load
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return owned;
}

}  // namespace

Result<Fd> open_sock_diag() { return open_netlink(NETLINK_SOCK_DIAG, "socket(netlink sock_diag)"); }
Result<Fd> open_rtnetlink() { return open_netlink(NETLINK_ROUTE, "socket(netlink route)"); }

Result<void> netlink_send(int fd, std::span<const std::uint8_t> request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ssize_t n = ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
                         sizeof kernel);
    if (n == static_cast<ssize_t>(request.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    return fail("sendto", "netlink", n < 0 ? errno : EMSGSIZE);
  }
  return fail("sendto", "netlink", EINTR);
}

Result<std::size_t> netlink_recv(int fd, std::span<std::uint8_t> buf) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    iovec iov{buf.data(), buf.size()};
    sockaddr_nl from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recvmsg", "netlink", errno, errno == EAGAIN ? "no answer from the kernel within 5 s" : "");
    if (msg.msg_flags & MSG_TRUNC) return fail("recvmsg", "netlink", EMSGSIZE, "answer larger than the buffer");
    if (from.nl_pid != 0) continue;  // only the kernel answers a dump; anything else is not ours
    return static_cast<std::size_t>(n);
  }
  return fail("recvmsg", "netlink", EINTR);
}

Result<std::size_t> netlink_dump(int fd, std::span<const std::uint8_t> request, std::uint32_t seq,
                                 std::uint16_t type, const std::string& op, const std::string& what,
                                 const std::function<void(std::span<const std::uint8_t>)>& on_payload) {
  namespace nl = packet::nl;
  if (auto r = netlink_send(fd, request); !r) return tl::unexpected(r.error());
  std::vector<std::uint8_t> buf(kRecvBuffer);
  std::size_t malformed = 0;
  for (std::size_t chunk = 0; chunk < kMaxChunks; ++chunk) {
    auto n = netlink_recv(fd, buf);
    if (!n) return fail(op, what, n.error().err, n.error().detail);
    auto msgs = nl::split(packet::Bytes(buf.data(), *n));
    if (!msgs) {
      ++malformed;
      continue;
    }
    for (const auto& m : *msgs) {
      if (m.seq != seq) continue;
      if (m.type == nl::kMsgDone) {
        int st = nl::parse_done(m.payload);
        if (st < 0) return fail(op, what, -st);
        return malformed;
      }
      if (m.type == nl::kMsgError) {
        auto e = nl::parse_error(m.payload);
        if (!e) {
          ++malformed;
          continue;
        }
        if (*e == 0) continue;
        return fail(op, what, *e);
      }
      if (m.type == type) on_payload(m.payload);
    }
  }
  return fail(op, what, 0, "no end of dump after too many answers");
}

}  // namespace reach::sys
