// relay's backend choice and health state, on scripted check outcomes.
#include <gtest/gtest.h>

#include "engine/relay_pool.hpp"

namespace reach::engine {
namespace {

constexpr TimeNs kT = 1000 * kNsPerSec;  // any monotonic time

TEST(RelayPool, RoundRobinSkipsDownAndTried) {
  RelayPool p(3, PoolBalance::roundrobin, 2, 2);
  EXPECT_EQ(p.pick({}, kT), 0u);
  EXPECT_EQ(p.pick({}, kT), 1u);
  EXPECT_EQ(p.pick({}, kT), 2u);
  EXPECT_EQ(p.pick({}, kT), 0u);
  EXPECT_EQ(p.checked(1, false, "refused"), std::nullopt);  // one failure: still in
  EXPECT_EQ(p.checked(1, false, "refused"), false);         // fall = 2: out
  EXPECT_EQ(p.pick({}, kT), 2u);
  EXPECT_EQ(p.pick({}, kT), 0u);
  EXPECT_EQ(p.pick({}, kT), 2u);
  EXPECT_EQ(p.pick({false, false, true}, kT), 0u);  // 2 already failed for this client
  EXPECT_EQ(p.pick({true, false, true}, kT), std::nullopt);
  EXPECT_EQ(p.checked(1, true, "connected"), std::nullopt);
  EXPECT_EQ(p.checked(1, false, "refused"), std::nullopt);  // a failure resets the good run
  EXPECT_EQ(p.checked(1, true, "connected"), std::nullopt);
  EXPECT_EQ(p.checked(1, true, "connected"), true);  // rise = 2: back
  EXPECT_EQ(p.up_count(), 3u);
  EXPECT_EQ(p.backends()[1].last_reason, "connected");
}

TEST(RelayPool, LeastConnections) {
  RelayPool p(3, PoolBalance::leastconn, 1, 1);
  for (int i = 0; i < 3; ++i) p.opened(*p.pick({}, kT));
  EXPECT_EQ(p.backends()[0].active + p.backends()[1].active + p.backends()[2].active, 3u);
  EXPECT_EQ(p.backends()[2].active, 1u);  // ties spread
  p.closed(1);
  EXPECT_EQ(p.pick({}, kT), 1u);
  p.opened(1);
  p.opened(1);
  EXPECT_NE(p.pick({}, kT), 1u);
  p.checked(0, false, "timed out");
  p.checked(2, false, "timed out");
  EXPECT_EQ(p.pick({}, kT), 1u);  // the only one up, however busy
  p.checked(1, false, "timed out");
  EXPECT_EQ(p.pick({}, kT), std::nullopt);
}

// New-user case: `--to dead --to alive --no-health-checks` sent every new connection to the dead
// one first (8 of 8 paid its connect timeout). A failed connect sets it aside for 10 s (nginx's
// max_fails=1 fail_timeout=10s); a connect that works, or a passing check, takes it back.
TEST(RelayPool, AFailedConnectSetsTheBackendAsideForAWhile) {
  for (auto balance : {PoolBalance::roundrobin, PoolBalance::leastconn}) {
    RelayPool p(2, balance, 3, 2);
    EXPECT_EQ(p.pick({}, kT), 0u);
    p.connect_failed(0, kT);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(p.pick({}, kT + i * kNsPerSec), 1u) << i;
    EXPECT_EQ(p.backends()[0].failures, 1u);
    // Its time is up: it is tried again, and a connect that works takes it back for good.
    auto again = kT + RelayPool::kPassiveRetry;
    std::optional<std::size_t> got;
    for (int i = 0; i < 2 && got != 0u; ++i) got = p.pick({}, again);
    EXPECT_EQ(got, 0u);
    p.opened(0);
    EXPECT_EQ(p.backends()[0].avoid_until, 0);
    // Both set aside: one is still tried rather than the client refused.
    p.connect_failed(0, again);
    p.connect_failed(1, again);
    EXPECT_TRUE(p.pick({}, again + 1).has_value());
    // A passing check clears it too.
    p.checked(0, true, "connected");
    EXPECT_EQ(p.backends()[0].avoid_until, 0);
  }
}

}  // namespace
}  // namespace reach::engine
