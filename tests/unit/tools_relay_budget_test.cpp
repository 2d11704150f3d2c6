// tools::relay budget: a connection waiting for its head is charged its head, not the pipes it
// does not have yet (a half-open flood must not fill max_memory with nothing); in plain TCP, where
// it waits only for its backend connect, the pipes it is about to open. max_conns asks for the
// open files its connections need.
#include <gtest/gtest.h>

#include "base/ip_prefix.hpp"
#include "tools/relay/budget.hpp"

namespace reach::tools::relay {
namespace {

config::RelayConfig cfg(bool http, bool accept_proxy) {
  config::RelayConfig c;
  c.http = http;
  if (accept_proxy) c.accept_proxy.push_back(*parse_prefix("198.18.0.10/32"));
  return c;
}

TEST(RelayBudget, PendingConnectionsCostTheirHeadForwardingOnesTheirPipes) {
  struct Case {
    bool http, proxy;
    std::size_t open, forwarding;
    std::uint64_t bytes;
  } cases[] = {
      {false, false, 10, 0, 10 * 128 * 1024},                     // plain, connecting: pipes in a round trip
      {false, false, 10, 10, 10 * 128 * 1024},                    // two 64 KiB pipes each
      {true, false, 10, 0, 10 * 16 * 1024},                       // --http: max_head each
      {true, false, 10, 4, 4 * (128 + 16 + 64) * 1024 + 6 * 16 * 1024},
      {false, true, 3, 1, 128 * 1024 + 2 * 4096},                 // PROXY header from a balancer
      {true, true, 2, 0, 2 * (16 * 1024 + 4096)},
      {true, false, 3, 5, 5 * (128 + 16 + 64) * 1024},            // never negative
  };
  for (const auto& c : cases)
    EXPECT_EQ(memory_estimate(cfg(c.http, c.proxy), c.open, c.forwarding), c.bytes)
        << c.http << c.proxy << " " << c.open << "/" << c.forwarding;
}

TEST(RelayBudget, TheDefaultMemoryCapHoldsMaxConnsOfSilentHttpConnections) {
  const auto c = cfg(true, false);
  EXPECT_LE(memory_estimate(c, c.limits.max_conns, 0), c.limits.max_memory);
}

TEST(RelayBudget, MaxConnsWantsSixFilesAConnection) {
  auto c = cfg(false, false);
  EXPECT_EQ(fds_wanted(c), std::size_t{10000} * 6 + 256);
  c.limits.max_conns = 1;
  EXPECT_EQ(fds_wanted(c), 262u);
}

}  // namespace
}  // namespace reach::tools::relay
