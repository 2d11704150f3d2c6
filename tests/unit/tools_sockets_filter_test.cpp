// `reach sockets` filters: CIDR and state parsing, and which rows a filter keeps.
#include <gtest/gtest.h>

#include "tools/sockets/filter.hpp"

namespace reach::tools::sockets {
namespace {

using model::SockProto;
using model::SocketRow;

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

SocketRow row(SockProto p, const char* local, int lport, const char* peer, int pport, std::uint8_t state) {
  SocketRow r;
  r.proto = p;
  r.local = ip(local);
  r.peer = ip(peer);
  r.family = r.local.family();
  r.local_port = static_cast<std::uint16_t>(lport);
  r.peer_port = static_cast<std::uint16_t>(pport);
  r.state = state;
  return r;
}

Filter all() {
  Filter f;
  f.tcp_states = f.dgram_states = f.unix_states = kAllStates;
  return f;
}

TEST(SocketsFilter, Cidr) {
  auto c = parse_cidr("198.18.0.0/15");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("198.18.0.1")));
  EXPECT_TRUE(c->contains(ip("198.19.255.255")));
  EXPECT_FALSE(c->contains(ip("198.20.0.0")));
  EXPECT_FALSE(c->contains(ip("2001:db8::1")));
  EXPECT_TRUE(c->contains(ip("::ffff:198.18.3.4"))) << "dual-stack sockets show v4 peers mapped";
  auto c6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(c6);
  EXPECT_TRUE(c6->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(c6->contains(ip("2001:db9::1")));
  EXPECT_FALSE(c6->contains(ip("198.18.0.1")));
  auto host = parse_cidr("198.18.0.2");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 32);
  EXPECT_TRUE(host->contains(ip("198.18.0.2")));
  EXPECT_FALSE(host->contains(ip("198.18.0.3")));
  auto zero = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->contains(ip("198.19.255.1")));
  auto odd = parse_cidr("2001:db8::/33");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("2001:db8:7fff::1")));
  EXPECT_FALSE(odd->contains(ip("2001:db8:8000::1")));
  for (const char* bad : {"198.18.0.1/33", "198.18.0.0/", "198.18.0.0/x", "198.18.1.0/15", "nope", "",
                          "2001:db8::/129", "198.18.0.0/-1", "198.18.0.0/15/1", "198.19.0.1/8"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(SocketsFilter, StateNames) {
  using namespace model;
  EXPECT_EQ(parse_state("ESTABLISHED"), 1u << kEstablished);
  EXPECT_EQ(parse_state("estab"), 1u << kEstablished);
  EXPECT_EQ(parse_state("time-wait"), 1u << kTimeWait);
  EXPECT_EQ(parse_state("TIME_WAIT"), 1u << kTimeWait);
  EXPECT_EQ(parse_state("fin-wait-1"), 1u << kFinWait1);
  EXPECT_EQ(parse_state("listening"), 1u << kListen);
  EXPECT_EQ(parse_state("unconn"), 1u << kClose);
  EXPECT_EQ(parse_state("syn_recv"), (1u << kSynRecv) | (1u << kNewSynRecv));
  EXPECT_FALSE(parse_state("bogus"));
  EXPECT_FALSE(parse_state(""));
}

TEST(SocketsFilter, Keep) {
  auto listen = row(SockProto::tcp, "198.18.0.2", 8080, "0.0.0.0", 0, model::kListen);
  auto conn = row(SockProto::tcp, "2001:db8::2", 8081, "2001:db8::1", 40000, model::kEstablished);
  auto udp = row(SockProto::udp, "198.18.0.2", 5353, "0.0.0.0", 0, model::kClose);
  conn.owners.push_back({42, "server", 3});

  Filter f = all();
  EXPECT_TRUE(f.keep(listen) && f.keep(conn) && f.keep(udp));

  f = all();
  f.port = 40000;
  EXPECT_FALSE(f.keep(listen));
  EXPECT_TRUE(f.keep(conn)) << "--port matches the peer port too";
  f = all();
  f.sport = 40000;
  EXPECT_FALSE(f.keep(conn));
  f.sport = 8081;
  EXPECT_TRUE(f.keep(conn));
  f = all();
  f.dport = 40000;
  EXPECT_TRUE(f.keep(conn));
  EXPECT_FALSE(f.keep(listen));

  f = all();
  f.tcp_states = 1u << model::kListen;
  f.dgram_states = 0;
  EXPECT_TRUE(f.keep(listen));
  EXPECT_FALSE(f.keep(conn));
  EXPECT_FALSE(f.keep(udp));

  f = all();
  f.addrs.push_back(*parse_cidr("2001:db8::/32"));
  EXPECT_TRUE(f.keep(conn));
  EXPECT_FALSE(f.keep(listen));

  f = all();
  f.pid = 42;
  EXPECT_TRUE(f.keep(conn));
  EXPECT_FALSE(f.keep(listen)) << "no owner known";
  f = all();
  f.program = "server";
  EXPECT_TRUE(f.keep(conn));
  f.program = "serve";
  EXPECT_FALSE(f.keep(conn)) << "program names match exactly";
}

}  // namespace
}  // namespace reach::tools::sockets
