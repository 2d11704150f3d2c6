// watch's name cache on a real Reactor and c-ares: a resolver that never answers holds only
// the rounds of its name (literals and hosts-file names are answered at once), a refused one
// fails at once with the reason, answers are cached. Nothing leaves loopback: the resolv.conf
// given points at 127.77.0.x.
#include "tools/watch/names.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>

namespace reach::tools::watch {
namespace {

struct Names : ::testing::Test {
  std::unique_ptr<io::Reactor> reactor = std::move(*io::Reactor::create());
  std::string conf = ::testing::TempDir() + "/names_test_resolv.conf";

  void resolver(const std::string& address) {
    std::ofstream(conf) << "nameserver " << address << "\noptions timeout:5 attempts:1\n";
  }
  void run_for(TimeNs d) {
    reactor->after(d, [this] { reactor->stop(); });
    ASSERT_TRUE(reactor->run().has_value());
  }
  // Runs until `done` holds (checked every 5 ms) or `limit` passed: a busy machine (ASan, CI at
  // load 20) delays the loop's turns, so a test waits for what it expects rather than a fixed time.
  template <class F>
  void run_until(F done, TimeNs limit) {
    const TimeNs end = reactor->refresh_now() + limit;
    std::function<void()> check = [&] {
      if (done() || reactor->refresh_now() >= end) return reactor->stop();
      reactor->after(5 * kNsPerMs, check);
    };
    reactor->post(check);
    ASSERT_TRUE(reactor->run().has_value());
  }
};

TEST_F(Names, SilentResolverHoldsOnlyItsOwnNameAndTimesOutAtTheWait) {
  // Port 53 of a loopback address: a bound socket nobody reads (needs CAP_NET_BIND_SERVICE).
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(53);
  sa.sin_addr.s_addr = htonl(0x7f4d0035);  // 127.77.0.53
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(s);
    GTEST_SKIP() << "cannot bind port 53 here";
  }
  resolver("127.77.0.53");
  NameCache names(*reactor, conf);
  std::optional<Result<IpAddr>> late;
  TimeNs asked = reactor->refresh_now(), answered = 0;
  auto now = names.lookup("slow.test", std::nullopt, true, 7, 300 * kNsPerMs, [&](Result<IpAddr> a) {
    late = std::move(a);
    answered = reactor->refresh_now();
  });
  EXPECT_FALSE(now.has_value());
  EXPECT_EQ(names.resolving(), 1u);
  // Meanwhile a literal and a hosts-file name are answered at once / on the next turns.
  auto lit = names.lookup("198.18.1.2", std::nullopt, true, 8, kNsPerSec, [](Result<IpAddr>) { FAIL(); });
  ASSERT_TRUE(lit && lit->has_value());
  EXPECT_EQ((*lit)->to_string(), "198.18.1.2");
  std::optional<Result<IpAddr>> local;
  bool local_first = false;  // answered while slow.test was still waiting
  auto l = names.lookup("localhost", Family::v4, false, 9, kNsPerSec, [&](Result<IpAddr> a) {
    local = a;
    local_first = !late.has_value();
  });
  if (!l) {
    run_until([&] { return local.has_value(); }, 5 * kNsPerSec);
    ASSERT_TRUE(local.has_value());
    EXPECT_TRUE(local_first);
  }
  const Result<IpAddr>& lh = l ? *l : *local;
  ASSERT_TRUE(lh.has_value()) << lh.error().message();
  EXPECT_EQ(lh->to_string(), "127.0.0.1");
  run_until([&] { return late.has_value(); }, 5 * kNsPerSec);
  ASSERT_TRUE(late.has_value());
  ASSERT_FALSE(late->has_value());
  EXPECT_NE(late->error().message().find("resolve slow.test: no answer from the resolver within 300 ms"),
            std::string::npos)
      << late->error().message();
  // The lookup's own wait, not the resolver's 5 s (resolv.conf above); the ceiling leaves room
  // for a loop that a loaded machine runs late.
  EXPECT_GE(answered - asked, 290 * kNsPerMs);
  EXPECT_LT(answered - asked, 3 * kNsPerSec);
  // The next round waits again (the lookup is still out), and a cancelled wait is never called.
  EXPECT_FALSE(names.lookup("slow.test", std::nullopt, true, 7, 100 * kNsPerMs, [](Result<IpAddr>) { FAIL(); }));
  names.cancel(7);
  run_for(200 * kNsPerMs);
  close(s);
}

TEST_F(Names, RefusedResolverFailsAtOnceAndTheFailureIsCached) {
  resolver("127.77.0.54");  // nothing listens: the kernel answers port unreachable
  NameCache names(*reactor, conf);
  std::optional<Result<IpAddr>> got;
  // "At once": long before the lookup's 10 s wait would end it.
  auto now = names.lookup("nosuch.test", std::nullopt, true, 1, 10 * kNsPerSec, [&](Result<IpAddr> a) { got = a; });
  EXPECT_FALSE(now.has_value());
  run_until([&] { return got.has_value(); }, 5 * kNsPerSec);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error().message().rfind("resolve nosuch.test: ", 0), 0u) << got->error().message();
  EXPECT_EQ(got->error().message().find("no answer"), std::string::npos) << got->error().message();
  // Cached for kRetry: the next round fails at once with the same reason, without asking.
  auto again = names.lookup("nosuch.test", std::nullopt, true, 1, kNsPerSec, [](Result<IpAddr>) { FAIL(); });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->error().message(), got->error().message());
  EXPECT_EQ(names.resolving(), 0u);
  // Bad text is an error at once, never a lookup.
  auto bad = names.lookup("a b", std::nullopt, true, 1, kNsPerSec, [](Result<IpAddr>) { FAIL(); });
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(bad->has_value());
}

}  // namespace
}  // namespace reach::tools::watch
