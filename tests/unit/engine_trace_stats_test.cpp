// TraceStats: rounds of traces become per-hop, per-address rows with mtr's statistics.
#include <gtest/gtest.h>

#include "engine/trace_stats.hpp"
#include "packets.hpp"

namespace reach::engine {
namespace {

model::TraceProbe probe(int ttl, const char* from, std::optional<double> ms) {
  model::TraceProbe p;
  p.ttl = ttl;
  if (ms) {
    p.answer = model::TraceAnswer::time_exceeded;
    p.from = test::ip(from);
    p.rtt = static_cast<TimeNs>(*ms * 1e6);
  }
  return p;
}

model::TraceResult round(std::vector<model::TraceProbe> ps) {
  model::TraceResult r;
  for (auto& p : ps) r.hops.push_back({p.ttl, {p}});
  return r;
}

TEST(TraceStats, LossLastAvgBestWorstStdevPerAddress) {
  TraceStats s;
  s.add_round(round({probe(1, "198.18.0.2", 1.0), probe(2, "198.18.1.2", 2.0)}));
  s.add_round(round({probe(1, "198.18.0.2", 3.0), probe(2, "198.18.1.3", 4.0)}));
  s.add_round(round({probe(1, "198.18.0.2", 2.0), probe(2, "", std::nullopt)}));
  auto rows = s.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].ttl, 1);
  EXPECT_EQ(rows[0].sent, 3u);
  EXPECT_EQ(rows[0].received, 3u);
  EXPECT_DOUBLE_EQ(rows[0].last_ms, 2.0);
  EXPECT_DOUBLE_EQ(rows[0].avg_ms, 2.0);
  EXPECT_DOUBLE_EQ(rows[0].best_ms, 1.0);
  EXPECT_DOUBLE_EQ(rows[0].worst_ms, 3.0);
  EXPECT_DOUBLE_EQ(rows[0].stdev_ms, 1.0);
  // Hop 2: two addresses (load balanced), one loss: rows in order of first appearance.
  EXPECT_TRUE(rows[1].first_of_hop);
  EXPECT_FALSE(rows[2].first_of_hop);
  EXPECT_EQ(*rows[1].addr, test::ip("198.18.1.2"));
  EXPECT_EQ(*rows[2].addr, test::ip("198.18.1.3"));
  EXPECT_EQ(rows[1].sent, 3u);
  EXPECT_EQ(rows[1].hop_received, 2u);
  EXPECT_EQ(rows[2].received, 1u);
}

TEST(TraceStats, HopsBeyondTheLatestEndAreNotShown) {
  TraceStats s;
  s.add_round(round({probe(1, "198.18.0.2", 1.0), probe(2, "198.18.1.2", 2.0), probe(3, "198.18.9.2", 3.0)}));
  s.add_round(round({probe(1, "198.18.0.2", 1.0), probe(2, "198.18.9.2", 2.0)}));
  auto rows = s.rows();
  ASSERT_EQ(rows.size(), 3u);  // hop 1, hop 2 with its two responders; hop 3 no longer
  EXPECT_EQ(rows.back().ttl, 2);
  EXPECT_EQ(rows[1].sent, 2u);
}

}  // namespace
}  // namespace reach::engine
