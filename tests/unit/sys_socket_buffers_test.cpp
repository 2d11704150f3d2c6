// set_buffer_sizes: past net.core.rmem_max when the process may (CAP_NET_ADMIN), so a watch of
// 10,000 targets does not drop replies while its loop is busy for a moment.
#include <sys/socket.h>
#include <fstream>

#include <gtest/gtest.h>

#include "sys/socket.hpp"

namespace reach::sys {
namespace {

int rcvbuf(int fd) {
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
  return v;
}

// Whether this process may pass the cap at all (CAP_NET_ADMIN in the initial user namespace).
bool may_force() {
  auto fd = open_socket(Family::v4, SOCK_DGRAM, 0, "socket(udp)");
  int v = 1 << 16;
  return fd && setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0;
}

TEST(SocketBuffers, AskedSizeOrTheSystemCap) {
  auto fd = open_socket(Family::v4, SOCK_DGRAM, 0, "socket(udp)");
  ASSERT_TRUE(fd);
  long cap = 0;
  std::ifstream("/proc/sys/net/core/rmem_max") >> cap;
  if (cap <= 0 || cap > (256 << 20)) GTEST_SKIP() << "rmem_max " << cap;
  const int want = static_cast<int>(cap + (1 << 20));  // above the cap
  ASSERT_TRUE(set_buffer_sizes(fd->get(), want));
  // The kernel doubles what it is given (bookkeeping overhead) and reports the doubled value.
  if (may_force())
    EXPECT_GE(rcvbuf(fd->get()), 2 * want) << "a process with CAP_NET_ADMIN gets what it asks for";
  else
    EXPECT_GE(rcvbuf(fd->get()), 2 * cap) << "without CAP_NET_ADMIN the kernel's cap applies";
}

}  // namespace
}  // namespace reach::sys
