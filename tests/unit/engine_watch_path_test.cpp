#include "engine/watch_path.hpp"

#include <gtest/gtest.h>

#include <string>

namespace reach::engine {
namespace {

using model::HopChange;
using model::PathHop;

// "a b * d": one hop per word, "*" a star.
std::vector<PathHop> path(const std::string& words) {
  std::vector<PathHop> out;
  int ttl = 0;
  std::size_t i = 0;
  while (i < words.size()) {
    std::size_t j = words.find(' ', i);
    if (j == std::string::npos) j = words.size();
    std::string w = words.substr(i, j - i);
    i = j + 1;
    if (w.empty()) continue;
    PathHop h{++ttl, std::nullopt, {}};
    if (w != "*") h.addr = IpAddr::parse("198.18.0." + w);
    out.push_back(h);
  }
  return out;
}

std::string changes(const std::vector<model::PathDiffHop>& d) {
  std::string s;
  for (const auto& h : d) {
    switch (h.change) {
      case HopChange::same: s += '='; break;
      case HopChange::changed: s += 'C'; break;
      case HopChange::added: s += '+'; break;
      case HopChange::removed: s += '-'; break;
      case HopChange::unknown: s += '?'; break;
    }
  }
  return s;
}

TEST(WatchPathDiff, Table) {
  struct Case {
    const char* before;
    const char* after;
    const char* want;
    bool any;
  } cases[] = {
      {"1 2 3", "1 2 3", "===", false},
      {"1 2 3", "1 9 3", "=C=", true},
      {"1 2 3", "1 2", "==-", true},         // shorter: the last hop is gone
      {"1 2", "1 2 3 4", "==++", true},      // longer
      {"1 * 3", "1 2 3", "=?=", false},      // a star compares with nothing
      {"1 2 3", "1 * 3", "=?=", false},
      {"", "1 2", "++", true},               // no path before
      {"1 2", "", "--", true},
      {"", "", "", false},
  };
  for (const auto& c : cases) {
    auto d = diff_paths(path(c.before), path(c.after));
    EXPECT_EQ(changes(d), c.want) << c.before << " -> " << c.after;
    EXPECT_EQ(any_change(d), c.any) << c.before << " -> " << c.after;
  }
}

TEST(WatchPathDiff, CarriesBothAddresses) {
  auto d = diff_paths(path("1 2 3"), path("1 9"));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].ttl, 2);
  EXPECT_EQ(*d[1].before, *IpAddr::parse("198.18.0.2"));
  EXPECT_EQ(*d[1].after, *IpAddr::parse("198.18.0.9"));
  EXPECT_TRUE(d[1].changed());
  EXPECT_FALSE(d[2].after.has_value());
  EXPECT_EQ(d[2].change, HopChange::removed);
}

model::TraceProbe probe(int ttl, model::TraceAnswer a, const char* from) {
  model::TraceProbe p;
  p.ttl = ttl;
  p.answer = a;
  if (from) p.from = *IpAddr::parse(from);
  return p;
}

TEST(WatchPathHops, FirstAnswerPerHopTrailingStarsCut) {
  using model::TraceAnswer;
  model::TraceResult r;
  r.hops.push_back({1, {probe(1, TraceAnswer::none, nullptr), probe(1, TraceAnswer::time_exceeded, "198.18.0.1")}});
  r.hops.push_back({2, {probe(2, TraceAnswer::none, nullptr)}});
  r.hops.push_back({3, {probe(3, TraceAnswer::time_exceeded, "198.18.0.3")}});
  r.hops.push_back({4, {probe(4, TraceAnswer::none, nullptr)}});
  r.hops.push_back({5, {probe(5, TraceAnswer::none, nullptr)}});
  auto h = path_hops(r);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(*h[0].addr, *IpAddr::parse("198.18.0.1"));
  EXPECT_FALSE(h[1].addr);
  EXPECT_EQ(h[2].ttl, 3);
}

TEST(WatchPathHops, StopsAtTheFinalHop) {
  using model::TraceAnswer;
  model::TraceResult r;
  r.final_ttl = 1;
  r.reached = true;
  r.hops.push_back({1, {probe(1, TraceAnswer::reply, "198.18.0.7")}});
  r.hops.push_back({2, {probe(2, TraceAnswer::reply, "198.18.0.7")}});
  auto h = path_hops(r);
  ASSERT_EQ(h.size(), 1u);
}

// MDA: every interface of a hop, the lowest in addr; the trailing silent hops cut; a hop
// compares by its whole set of interfaces.
TEST(WatchPathHops, FromAnMdaGraph) {
  model::MultipathGraph g;
  auto ip = [](const char* s) { return *IpAddr::parse(s); };
  g.hops.push_back({1, {{ip("198.18.0.1"), false, {0}}}, 1, 1, 0, false, false});
  g.hops.push_back({2, {{ip("198.18.0.9"), false, {0}}, {ip("198.18.0.3"), false, {1}}, {ip("198.18.0.9"), false, {2}}},
                    6, 6, 0, false, false});
  g.hops.push_back({3, {}, 2, 0, 2, false, false});
  g.hops.push_back({4, {{ip("198.18.0.4"), true, {0, 1}}}, 2, 2, 0, false, false});
  g.hops.push_back({5, {}, 2, 0, 2, false, false});
  auto hops = path_hops(g);
  ASSERT_EQ(hops.size(), 4u);
  EXPECT_EQ(hops[1].addr, ip("198.18.0.3"));
  EXPECT_EQ(hops[1].also, std::vector<IpAddr>{ip("198.18.0.9")});
  EXPECT_FALSE(hops[2].addr);
  EXPECT_EQ(hops[3].addr, ip("198.18.0.4"));

  auto other = hops;
  other[1].also.clear();  // one branch of the balancer gone
  auto d = diff_paths(hops, other);
  EXPECT_EQ(changes(d), "=C?=");
  EXPECT_EQ(d[1].before_also, std::vector<IpAddr>{ip("198.18.0.9")});
  EXPECT_TRUE(d[1].after_also.empty());
  EXPECT_EQ(changes(diff_paths(hops, hops)), "==?=");
}

}  // namespace
}  // namespace reach::engine
