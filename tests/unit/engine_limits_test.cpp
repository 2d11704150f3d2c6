// -s is the protocol's own limit (issue 16, kind 4): 65535 bytes of IP datagram, less headers.
#include <gtest/gtest.h>

#include "engine/ping_engine.hpp"

namespace reach::engine {
namespace {

using model::Method;

TEST(PayloadLimit, EachMethodAndFamily) {
  struct {
    Method m;
    Family f;
    std::size_t max;
  } cases[] = {
      {Method::icmp, Family::v4, 65507},    {Method::icmp, Family::v6, 65527},
      {Method::udp, Family::v4, 65507},     {Method::udp, Family::v6, 65527},
      {Method::tcp_syn, Family::v4, 65491}, {Method::tcp_syn, Family::v6, 65511},
      {Method::tcp_connect, Family::v4, 0}, {Method::tcp_connect, Family::v6, 0},
  };
  for (const auto& c : cases) EXPECT_EQ(max_payload(c.m, c.f), c.max) << static_cast<int>(c.m);
}

TEST(PayloadLimit, TheLargestProbeFillsOneDatagram) {
  // What the engine builds at the limit is exactly 65535 bytes of IP payload plus header.
  PingConfig cfg;
  cfg.payload = max_payload(Method::icmp, Family::v6);
  TargetSpec t;
  t.addr = *IpAddr::parse("2001:db8::2");
  PingEngine e(cfg, {t}, 1, 0);
  auto out = e.due(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), 65535u);
}

}  // namespace
}  // namespace reach::engine
