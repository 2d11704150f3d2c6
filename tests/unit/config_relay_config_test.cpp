// The `relay:` section: every key, defaults, the CLI's shared pieces, and one clear error per
// mistake with its line.
#include "config/relay_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace reach::config {
namespace {

TEST(RelayConfig, EveryKey) {
  auto c = parse_relay_config(R"(user: relay
relay:
  listen: ["[::]:80", "0.0.0.0:80"]
  backends:
    - 198.18.1.2:80
    - { address: "[2001:db8:1::2]:8080", send_proxy: v1 }
  send_proxy: v2
  balance: leastconn
  http: true
  trusted: [198.18.0.0/24]
  accept_proxy: ["2001:db8::/64"]
  timeouts: { connect: 2s, idle: 1m, head: 3s }
  max_head: 8192
  pipe_size: 131072
  health: { interval: 500ms, timeout: 300ms, fall: 4, rise: 1 }
  metrics: 127.0.0.1:9799
  limits: { max_conns: 500 }
)",
                              "r.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->listen, (std::vector<std::string>{"[::]:80", "0.0.0.0:80"}));
  ASSERT_EQ(c->backends.size(), 2u);
  EXPECT_EQ(c->backends[0].text, "198.18.1.2:80");
  EXPECT_EQ(c->backends[0].send_proxy, std::nullopt);
  EXPECT_EQ(c->backends[1].text, "[2001:db8:1::2]:8080");
  EXPECT_EQ(c->backends[1].send_proxy, ProxySend::v1);
  EXPECT_EQ(c->backends[1].line, 6);
  EXPECT_EQ(c->send_proxy, ProxySend::v2);
  EXPECT_EQ(c->balance, Balance::leastconn);
  EXPECT_TRUE(c->http);
  ASSERT_EQ(c->trusted.size(), 1u);
  EXPECT_EQ(c->trusted[0].to_string(), "198.18.0.0/24");
  EXPECT_EQ(c->accept_proxy[0].to_string(), "2001:db8::/64");
  EXPECT_EQ(c->connect_timeout, 2 * kNsPerSec);
  EXPECT_EQ(c->idle_timeout, 60 * kNsPerSec);
  EXPECT_EQ(c->head_timeout, 3 * kNsPerSec);
  EXPECT_EQ(c->max_head, 8192u);
  EXPECT_EQ(c->pipe_bytes, 131072);
  EXPECT_EQ(c->health.interval, 500 * kNsPerMs);
  EXPECT_EQ(c->health.fall, 4);
  EXPECT_EQ(c->metrics, "127.0.0.1:9799");
  EXPECT_EQ(c->user, "relay");
  EXPECT_EQ(c->limits.max_conns, 500u);
}

TEST(RelayConfig, Defaults) {
  auto c = parse_relay_config("relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n", "r.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->send_proxy, ProxySend::none);
  EXPECT_EQ(c->balance, Balance::roundrobin);
  EXPECT_FALSE(c->http);
  EXPECT_TRUE(c->health_checks);
  EXPECT_EQ(c->connect_timeout, 5 * kNsPerSec);
  EXPECT_EQ(c->limits.max_conns, 10000u);
}

struct Bad {
  const char* yaml;
  const char* message;  // a part of the one error
};

TEST(RelayConfig, ErrorsWithLines) {
  const Bad cases[] = {
      {"watch: 1\n", "no relay: section"},
      {"relay:\n  backends: [198.18.1.2:80]\n", "relay: needs listen:"},
      {"relay:\n  listen: ':80'\n", "needs backends:"},
      {"relay:\n  listen: ':80'\n  backends: [www.example.com:80]\n", "names are not resolved"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2]\n", "r.yaml:3"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  send_proxy: v3\n", "r.yaml:4: relay.send_proxy: \"v3\" must be v1, v2 or none"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  balance: random\n", "r.yaml:4: relay.balance: \"random\" must be roundrobin or leastconn"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  trusted: [198.18.0.1/24]\n",
       "r.yaml:4: relay.trusted[0]: \"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  trusted: [2001:db8::/129]\n",
       "\"2001:db8::/129\": the length after '/' must be 0 to 128"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  trusted: [nowhere]\n", "\"nowhere\" is not a prefix like"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  accept_proxy: [198.18.0.0/24, 2001:db8::1/64]\n",
       "r.yaml:4: relay.accept_proxy[1]: \"2001:db8::1/64\" has host bits set: the prefix is 2001:db8::/64"},
      {"relay:\n  listen:\n  backends: [198.18.1.2:80]\n", "r.yaml:2: relay.listen: needs at least one listen address"},
      {"relay:\n  listen: ':80'\n  backends: {}\n", "r.yaml:3: relay.backends: must be a list, not a map"},
      {"relay:\n  listen: ':80'\n  backends: []\n", "r.yaml:3: relay.backends: needs at least one backend"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  timeouts: {connect: forever}\n", "relay.timeouts.connect"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  colour: red\n", "colour"},
      {"relay:\n  listen: ':80'\n  backends: [198.18.1.2:80]\n  limits: {max_conns: -1}\n", "max_conns"},
  };
  for (const Bad& b : cases) {
    auto c = parse_relay_config(b.yaml, "r.yaml");
    ASSERT_FALSE(c) << b.yaml;
    EXPECT_NE(c.error().message().find(b.message), std::string::npos) << c.error().message();
  }
}

// `listen:` took one value or a list while `backends:` wanted a list: both take either.
TEST(RelayConfig, OneValueOrAListForBoth) {
  auto c = parse_relay_config("relay:\n  listen: '[::]:80'\n  backends: 198.18.1.2:80\n", "r.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->listen, (std::vector<std::string>{"[::]:80"}));
  ASSERT_EQ(c->backends.size(), 1u);
  EXPECT_EQ(c->backends[0].text, "198.18.1.2:80");
  EXPECT_EQ(c->backends[0].line, 3);
  auto bad = parse_relay_config("relay:\n  listen: ':80'\n  backends: 198.18.1.2\n", "r.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "r.yaml:3: relay.backends: address 198.18.1.2: no port (write host:port or [IPv6]:port)");
}

TEST(RelayConfig, CommandLinePieces) {
  EXPECT_EQ(parse_proxy_send("v2"), ProxySend::v2);
  EXPECT_EQ(parse_proxy_send("V2"), std::nullopt);
  EXPECT_EQ(parse_balance("leastconn"), Balance::leastconn);
  auto b = parse_backend("[2001:db8::2]:443");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 443);
  EXPECT_FALSE(parse_backend("198.18.1.2"));
  EXPECT_FALSE(parse_backend("[fe80::1%eth0]:80"));
  EXPECT_STREQ(proxy_send_word(ProxySend::v1), "v1");
}

}  // namespace
}  // namespace reach::config
