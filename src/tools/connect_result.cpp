#include "tools/connect_result.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "sys/socket.hpp"

namespace reach::tools {

Result<sys::Fd> open_connect_socket(Family f) {
  auto fd = sys::open_socket(f, SOCK_STREAM, 0, "socket(tcp)");
  if (!fd) return fd;
  if (auto r = sys::set_recv_errors(fd->get(), f); !r) return tl::unexpected(r.error());
  return fd;
}

std::optional<model::IcmpSeen> queued_icmp(int fd) {
  std::array<std::uint8_t, 256> buf{};
  std::optional<model::IcmpSeen> seen;
  for (int i = 0; i < 8; ++i) {
    auto e = sys::receive_error(fd, buf);
    if (!e || !*e) break;
    if ((*e)->kind == sys::ErrQueueEntry::Kind::icmp_error)
      seen = model::IcmpSeen{(*e)->icmp_type, (*e)->icmp_code, (*e)->icmp_family == Family::v6, (*e)->offender};
  }
  return seen;
}

engine::ConnectVerdict finished_connect(int fd) {
  int err = sys::socket_error(fd);
  return engine::classify_connect_outcome(err, err != 0 ? queued_icmp(fd) : std::nullopt, false);
}

engine::ConnectVerdict failed_connect(int err) { return engine::classify_connect_outcome(err, std::nullopt, true); }

engine::ConnectVerdict timed_out_connect(int fd) {
  auto icmp = queued_icmp(fd);
  return engine::classify_connect_outcome(icmp ? EHOSTUNREACH : ETIMEDOUT, icmp, false);
}

}  // namespace reach::tools
