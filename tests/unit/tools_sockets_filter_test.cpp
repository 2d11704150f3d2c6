// `reach sockets` filters: state parsing, and which rows a filter keeps.
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
  f.addrs.push_back(*parse_prefix("2001:db8::/32"));
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
