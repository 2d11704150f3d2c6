// c-ares on the Reactor against dnsmasq on loopback (a zone from the command line), and a UDP
// socket that never answers. Skips when dnsmasq is not installed (scripts/install-deps.sh has it).
#include "io/dns_async.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sys/socket.hpp"
#include "sys/spawn.hpp"

namespace reach::io {
namespace {

// A free loopback port for both UDP and TCP (dnsmasq serves both), found by binding port 0.
std::uint16_t free_port() {
  for (int i = 0; i < 20; ++i) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(u, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    std::uint16_t port = *sys::local_port(u);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = htons(port);
    bool ok = bind(t, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(u);
    close(t);
    if (ok) return port;
  }
  return 0;
}

struct DnsAsyncLoop : ::testing::Test {
  std::unique_ptr<Reactor> reactor;
  std::unique_ptr<DnsAsync> dns;
  pid_t dnsmasq = -1;
  bool exited = false;
  std::uint16_t port = 0;

  void SetUp() override {
    if (!std::filesystem::exists("/usr/sbin/dnsmasq")) GTEST_SKIP() << "dnsmasq not installed";
    reactor = std::move(*Reactor::create());
    dns = std::move(*DnsAsync::create(*reactor));
    port = free_port();
    ASSERT_NE(port, 0);
    auto pid = sys::spawn({"/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                           "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                           "--port=" + std::to_string(port), "--pid-file", "--user=nobody", "--log-facility=-",
                           "--local=/test/", "--host-record=web.test,198.18.1.2,2001:db8::2",
                           "--host-record=web.test,198.18.1.3", "--mx-host=test,mail.test,10",
                           "--txt-record=txt.test,v=spf1 -all,second", "--srv-host=_http._tcp.test,web.test,80,1,5"},
                          {}, "");
    ASSERT_TRUE(pid.has_value()) << pid.error().message();
    dnsmasq = *pid;
    ASSERT_TRUE(reactor->watch_child(dnsmasq, [this](int) { exited = true; }).has_value());
    // Ready when it answers. Before it binds, the kernel refuses at once (port unreachable),
    // so tries are spaced: at most 100 of them 20 ms apart.
    bool ready = false;
    for (int i = 0; i < 100 && !ready && !exited; ++i) {
      ready = ask("web.test", "A", 100 * kNsPerMs).answered;
      if (!ready) {
        TimeNs until = reactor->refresh_now() + 20 * kNsPerMs;
        run_until([&] { return reactor->now() >= until; });
      }
    }
    ASSERT_TRUE(ready) << "dnsmasq did not answer";
  }
  void TearDown() override {
    if (dnsmasq > 0 && !exited) {
      (void)sys::kill_child(dnsmasq, SIGKILL);
      run_until([&] { return exited; });
    }
  }

  void run_until(const std::function<bool()>& done) {
    TimeNs start = reactor->refresh_now();
    std::function<void()> tick = [&] {
      if (done() || reactor->now() - start > 10 * kNsPerSec) {
        reactor->stop();
        return;
      }
      reactor->after(1 * kNsPerMs, tick);
    };
    reactor->after(0, tick);
    ASSERT_TRUE(reactor->run().has_value());
  }

  DnsResult ask(const std::string& name, const std::string& type, TimeNs timeout = kNsPerSec, bool tcp = false,
                std::uint16_t to_port = 0) {
    DnsQuery q;
    q.server = *IpAddr::parse("127.0.0.1");
    q.port = to_port ? to_port : port;
    q.name = name;
    q.type = type;
    q.timeout = timeout;
    q.tcp = tcp;
    DnsResult out;
    bool done = false;
    auto r = dns->query(q, [&](DnsResult res) {
      out = std::move(res);
      done = true;
    });
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r) return out;
    run_until([&] { return done; });
    EXPECT_TRUE(done);
    return out;
  }
};

TEST_F(DnsAsyncLoop, RecordsOfEachTypeAsText) {
  auto a = ask("web.test", "A");
  EXPECT_EQ(a.rcode_name, "NOERROR");
  EXPECT_EQ(a.answer_count, 2);
  std::sort(a.answers.begin(), a.answers.end());
  EXPECT_EQ(a.answers, (std::vector<std::string>{"198.18.1.2", "198.18.1.3"}));
  EXPECT_GT(a.duration, 0);
  EXPECT_LT(a.duration, kNsPerSec);
  EXPECT_EQ(ask("web.test", "aaaa").answers, (std::vector<std::string>{"2001:db8::2"}));
  EXPECT_EQ(ask("test", "MX").answers, (std::vector<std::string>{"10 mail.test"}));
  EXPECT_EQ(ask("txt.test", "TXT").answers, (std::vector<std::string>{R"("v=spf1 -all" "second")"}));
  EXPECT_EQ(ask("_http._tcp.test", "SRV").answers, (std::vector<std::string>{"1 5 80 web.test"}));
}

TEST_F(DnsAsyncLoop, NxdomainAndTcp) {
  auto nx = ask("nothing.test", "A");
  EXPECT_TRUE(nx.answered);
  EXPECT_EQ(nx.rcode, 3);
  EXPECT_EQ(nx.rcode_name, "NXDOMAIN");
  EXPECT_TRUE(nx.answers.empty());
  auto tcp = ask("web.test", "AAAA", kNsPerSec, true);
  EXPECT_EQ(tcp.answers, (std::vector<std::string>{"2001:db8::2"}));
}

TEST_F(DnsAsyncLoop, ManyConcurrentQueries) {
  constexpr int kN = 200;
  int ok = 0, got = 0;
  for (int i = 0; i < kN; ++i) {
    DnsQuery q;
    q.server = *IpAddr::parse("127.0.0.1");
    q.port = port;
    q.name = i % 2 ? "web.test" : "nothing.test";
    ASSERT_TRUE(dns->query(q, [&, i](DnsResult r) {
                     ++got;
                     ok += r.answered && r.rcode == (i % 2 ? 0 : 3);
                   }).has_value());
  }
  EXPECT_EQ(got, 0) << "callbacks must not run inside query()";
  run_until([&] { return got == kN; });
  EXPECT_EQ(ok, kN);
  EXPECT_EQ(dns->in_flight(), 0u);
}

TEST_F(DnsAsyncLoop, SilentServerTimesOutAndBadInputIsRefused) {
  // A bound UDP socket nobody reads: queries vanish.
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  auto r = ask("web.test", "A", 300 * kNsPerMs, false, *sys::local_port(s));
  close(s);
  EXPECT_FALSE(r.answered);
  EXPECT_TRUE(r.timed_out) << r.error;
  EXPECT_GE(r.duration, 290 * kNsPerMs);
  EXPECT_LT(r.duration, 1500 * kNsPerMs);
  DnsQuery q;
  q.server = *IpAddr::parse("127.0.0.1");
  q.name = "web.test";
  q.type = "BOGUS";
  auto bad = dns->query(q, [](DnsResult) {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("BOGUS"), std::string::npos);
  q.type = "TYPE65";
  EXPECT_TRUE(dns->query(q, [](DnsResult) {}).has_value());
}

}  // namespace
}  // namespace reach::io

namespace reach::io {
namespace {

// Host names through the system's configuration, without dnsmasq: the hosts file answers
// "localhost"; a resolv.conf naming a loopback address where nothing listens refuses at once.
TEST(DnsAsyncHosts, HostsFileAnswersAndARefusedResolverIsAnError) {
  auto reactor = std::move(*Reactor::create());
  auto dns = std::move(*DnsAsync::create(*reactor));
  const std::string conf = ::testing::TempDir() + "/dns_async_hosts_resolv.conf";
  std::ofstream(conf) << "nameserver 127.77.0.55\noptions timeout:1 attempts:1\n";
  std::vector<HostResult> got;
  bool inside = true;
  dns->resolve_host({"localhost", Family::v4, conf}, [&](HostResult r) {
    EXPECT_FALSE(inside);  // never from inside resolve_host()
    got.push_back(std::move(r));
  });
  dns->resolve_host({"nosuch.test", std::nullopt, conf}, [&](HostResult r) { got.push_back(std::move(r)); });
  inside = false;
  reactor->after(3 * kNsPerSec, [&] { reactor->stop(); });
  std::function<void()> check = [&] {
    if (got.size() == 2) return reactor->stop();
    reactor->after(5 * kNsPerMs, check);
  };
  reactor->after(0, check);
  ASSERT_TRUE(reactor->run().has_value());
  ASSERT_EQ(got.size(), 2u);
  if (got[0].addrs.empty()) std::swap(got[0], got[1]);  // the order of the answers is not promised
  ASSERT_EQ(got[0].addrs.size(), 1u) << got[0].error;
  EXPECT_EQ(got[0].addrs[0].to_string(), "127.0.0.1");
  EXPECT_TRUE(got[1].addrs.empty());
  EXPECT_FALSE(got[1].error.empty());
  EXPECT_EQ(dns->in_flight(), 0u);
}

}  // namespace
}  // namespace reach::io
