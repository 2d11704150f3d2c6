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
  auto l = names.lookup("localhost", Family::v4, false, 9, kNsPerSec, [&](Result<IpAddr> a) { local = a; });
  run_for(100 * kNsPerMs);
  if (!l) {
    ASSERT_TRUE(local.has_value());
  }
  const Result<IpAddr>& lh = l ? *l : *local;
  ASSERT_TRUE(lh.has_value()) << lh.error().message();
  EXPECT_EQ(lh->to_string(), "127.0.0.1");
  EXPECT_FALSE(late.has_value());
  run_for(400 * kNsPerMs);
  ASSERT_TRUE(late.has_value());
  ASSERT_FALSE(late->has_value());
  EXPECT_NE(late->error().message().find("resolve slow.test: no answer from the resolver within 300 ms"),
            std::string::npos)
      << late->error().message();
  EXPECT_GE(answered - asked, 290 * kNsPerMs);
  EXPECT_LT(answered - asked, 600 * kNsPerMs);
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
  auto now = names.lookup("nosuch.test", std::nullopt, true, 1, 2 * kNsPerSec, [&](Result<IpAddr> a) { got = a; });
  EXPECT_FALSE(now.has_value());
  run_for(200 * kNsPerMs);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error().message().rfind("resolve nosuch.test: ", 0), 0u) << got->error().message();
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
