#include <gtest/gtest.h>

#include <cerrno>

#include "engine/check_engine.hpp"

namespace reach::engine {
namespace {

using model::CheckStatus;

model::IcmpSeen icmp(bool v6, int type, int code) {
  return {static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), v6, IpAddr::parse("198.18.1.2")};
}

TEST(Classify, ErrnoAndIcmp) {
  struct Case {
    int err;
    std::optional<model::IcmpSeen> icmp;
    bool immediate;
    CheckStatus want;
    const char* words;
  };
  const Case cases[] = {
      {0, std::nullopt, false, CheckStatus::open, "connected"},
      {ECONNREFUSED, std::nullopt, false, CheckStatus::refused, "refused"},
      {ECONNRESET, std::nullopt, false, CheckStatus::reset, "reset"},
      {ENETUNREACH, std::nullopt, true, CheckStatus::no_route, "local routing table"},
      {EHOSTUNREACH, std::nullopt, false, CheckStatus::unreachable, "ARP"},
      {EACCES, std::nullopt, true, CheckStatus::prohibited, "local"},
      // The kernel reports admin prohibited as EHOSTUNREACH: the ICMP code decides, in scan's words.
      {EHOSTUNREACH, icmp(false, 3, 13), false, CheckStatus::prohibited, "admin-prohibited from 198.18.1.2 (ICMP type 3 code 13)"},
      {EHOSTUNREACH, icmp(false, 3, 10), false, CheckStatus::prohibited, "admin-prohibited"},
      {EHOSTUNREACH, icmp(false, 3, 1), false, CheckStatus::unreachable, "host-unreachable from 198.18.1.2 (ICMP type 3 code 1)"},
      {ENETUNREACH, icmp(false, 3, 0), false, CheckStatus::no_route, "net-unreachable"},
      {EACCES, icmp(true, 1, 1), false, CheckStatus::prohibited, "(ICMPv6 type 1 code 1)"},
      {EHOSTUNREACH, icmp(true, 1, 3), false, CheckStatus::unreachable, "host-unreachable"},
      {ENETUNREACH, icmp(true, 1, 0), false, CheckStatus::no_route, "net-unreachable"},
      // Port and protocol unreachable become ECONNREFUSED / ENOPROTOOPT: not a RST, a filter.
      {ECONNREFUSED, icmp(false, 3, 3), false, CheckStatus::filtered, "port-unreachable from 198.18.1.2"},
      {ENOPROTOOPT, icmp(false, 3, 2), false, CheckStatus::filtered, "proto-unreachable from 198.18.1.2"},
      {ECONNREFUSED, icmp(true, 1, 4), false, CheckStatus::filtered, "port-unreachable from 198.18.1.2 (ICMPv6"},
      {EHOSTUNREACH, icmp(false, 11, 0), false, CheckStatus::filtered, "Time to live exceeded from 198.18.1.2"},
      {EADDRNOTAVAIL, std::nullopt, true, CheckStatus::error, "error EADDRNOTAVAIL (Cannot assign requested address) (local)"},
      {ENOPROTOOPT, std::nullopt, false, CheckStatus::error, "error ENOPROTOOPT"},
  };
  for (const auto& c : cases) {
    auto r = classify_connect(c.err, c.icmp, c.immediate);
    EXPECT_EQ(r.status, c.want) << c.err << " " << r.reason;
    EXPECT_NE(r.reason.find(c.words), std::string::npos) << r.reason;
  }
  EXPECT_EQ(classify_timeout(2 * kNsPerSec).status, CheckStatus::timeout);
  EXPECT_NE(classify_timeout(1500 * kNsPerMs).reason.find("1.5s"), std::string::npos);
}

TEST(Scheduler, ConcurrencyBound) {
  CheckScheduler s(5, 2, 0, kNsPerSec);
  auto a = s.start(0);
  EXPECT_EQ(a, (std::vector<std::size_t>{0, 1}));
  EXPECT_TRUE(s.start(1).empty());
  EXPECT_TRUE(s.finished(0, CheckStatus::open));
  EXPECT_EQ(s.start(2), (std::vector<std::size_t>{2}));
  EXPECT_EQ(s.running(), 2u);
  EXPECT_FALSE(s.done());
}

TEST(Scheduler, TimeoutsAndRetries) {
  CheckScheduler s(2, 10, 1, 100);
  s.start(0);
  EXPECT_EQ(s.next_deadline(), 100);
  EXPECT_TRUE(s.expired(99).empty());
  EXPECT_TRUE(s.finished(1, CheckStatus::refused));  // final: not retryable
  auto e = s.expired(100);
  ASSERT_EQ(e, (std::vector<std::size_t>{0}));
  EXPECT_FALSE(s.finished(0, CheckStatus::timeout));  // one retry left
  EXPECT_EQ(s.start(150), (std::vector<std::size_t>{0}));
  EXPECT_EQ(s.attempts(0), 2u);
  EXPECT_EQ(s.next_deadline(), 250);
  EXPECT_EQ(s.expired(250), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(s.finished(0, CheckStatus::timeout));
  EXPECT_TRUE(s.done());
  EXPECT_FALSE(s.next_deadline());
}

TEST(Scheduler, StaleDeadlinesIgnored) {
  CheckScheduler s(1, 1, 1, 100);
  s.start(0);
  EXPECT_FALSE(s.finished(0, CheckStatus::unreachable));
  s.start(10);  // second attempt, deadline 110
  EXPECT_TRUE(s.expired(100).empty());  // the first attempt's deadline is stale
  EXPECT_EQ(s.expired(110), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(s.finished(0, CheckStatus::unreachable));
  EXPECT_TRUE(s.finished(0, CheckStatus::unreachable));  // a late duplicate report changes nothing
  EXPECT_TRUE(s.done());
}

}  // namespace
}  // namespace reach::engine
