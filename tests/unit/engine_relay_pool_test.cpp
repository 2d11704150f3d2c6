// relay's backend choice and health state, on scripted check outcomes.
#include <gtest/gtest.h>

#include "engine/relay_pool.hpp"

namespace reach::engine {
namespace {

TEST(RelayPool, RoundRobinSkipsDownAndTried) {
  RelayPool p(3, PoolBalance::roundrobin, 2, 2);
  EXPECT_EQ(p.pick({}), 0u);
  EXPECT_EQ(p.pick({}), 1u);
  EXPECT_EQ(p.pick({}), 2u);
  EXPECT_EQ(p.pick({}), 0u);
  EXPECT_EQ(p.checked(1, false, "refused"), std::nullopt);  // one failure: still in
  EXPECT_EQ(p.checked(1, false, "refused"), false);         // fall = 2: out
  EXPECT_EQ(p.pick({}), 2u);
  EXPECT_EQ(p.pick({}), 0u);
  EXPECT_EQ(p.pick({}), 2u);
  EXPECT_EQ(p.pick({false, false, true}), 0u);  // 2 already failed for this client
  EXPECT_EQ(p.pick({true, false, true}), std::nullopt);
  EXPECT_EQ(p.checked(1, true, "connected"), std::nullopt);
  EXPECT_EQ(p.checked(1, false, "refused"), std::nullopt);  // a failure resets the good run
  EXPECT_EQ(p.checked(1, true, "connected"), std::nullopt);
  EXPECT_EQ(p.checked(1, true, "connected"), true);  // rise = 2: back
  EXPECT_EQ(p.up_count(), 3u);
  EXPECT_EQ(p.backends()[1].last_reason, "connected");
}

TEST(RelayPool, LeastConnections) {
  RelayPool p(3, PoolBalance::leastconn, 1, 1);
  for (int i = 0; i < 3; ++i) p.opened(*p.pick({}));
  EXPECT_EQ(p.backends()[0].active + p.backends()[1].active + p.backends()[2].active, 3u);
  EXPECT_EQ(p.backends()[2].active, 1u);  // ties spread
  p.closed(1);
  EXPECT_EQ(p.pick({}), 1u);
  p.opened(1);
  p.opened(1);
  EXPECT_NE(p.pick({}), 1u);
  p.checked(0, false, "timed out");
  p.checked(2, false, "timed out");
  EXPECT_EQ(p.pick({}), 1u);  // the only one up, however busy
  p.checked(1, false, "timed out");
  EXPECT_EQ(p.pick({}), std::nullopt);
}

}  // namespace
}  // namespace reach::engine
