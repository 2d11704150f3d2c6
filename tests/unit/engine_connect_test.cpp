// The one classifier of connect() outcomes (check, scan --connect, ping --connect): every errno
// and error-queue entry gets a state, a reason in scan's words and the ICMP sender.
#include <gtest/gtest.h>

#include <cerrno>

#include "engine/connect_outcome.hpp"

namespace reach::engine {
namespace {

using model::PortReason;
using model::PortState;

std::optional<model::IcmpSeen> icmp(bool v6, int type, int code, const char* from = "198.18.0.2") {
  return model::IcmpSeen{static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), v6, IpAddr::parse(from)};
}

TEST(ConnectOutcome, EveryErrnoAndIcmpHasARow) {
  struct Case {
    int err;
    std::optional<model::IcmpSeen> icmp;
    bool immediate;
    PortState state;
    PortReason reason;
    bool answered;
    const char* text;
  };
  const Case cases[] = {
      {0, std::nullopt, false, PortState::open, PortReason::connected, true, "connected"},
      {ECONNREFUSED, std::nullopt, false, PortState::closed, PortReason::rst, true, "connection refused (RST)"},
      {ECONNREFUSED, std::nullopt, true, PortState::closed, PortReason::rst, true, "connection refused (RST)"},
      {ECONNRESET, std::nullopt, false, PortState::closed, PortReason::rst, true, "connection reset"},
      {ETIMEDOUT, std::nullopt, false, PortState::filtered, PortReason::no_response, false, "no answer"},
      {ECONNREFUSED, icmp(false, 3, 3), false, PortState::filtered, PortReason::port_unreachable, true,
       "port-unreachable from 198.18.0.2 (ICMP type 3 code 3)"},
      {ENOPROTOOPT, icmp(false, 3, 2), false, PortState::filtered, PortReason::proto_unreachable, true,
       "proto-unreachable from 198.18.0.2 (ICMP type 3 code 2)"},
      {EHOSTUNREACH, icmp(false, 3, 13), false, PortState::filtered, PortReason::admin_prohibited, true,
       "admin-prohibited from 198.18.0.2 (ICMP type 3 code 13)"},
      {EHOSTUNREACH, icmp(false, 3, 1), false, PortState::filtered, PortReason::host_unreachable, true,
       "host-unreachable from 198.18.0.2"},
      {ENETUNREACH, icmp(false, 3, 0), false, PortState::filtered, PortReason::net_unreachable, true,
       "net-unreachable from 198.18.0.2"},
      {ECONNREFUSED, icmp(true, 1, 4, "2001:db8::2"), false, PortState::filtered, PortReason::port_unreachable, true,
       "port-unreachable from 2001:db8::2 (ICMPv6 type 1 code 4)"},
      {EACCES, icmp(true, 1, 1, "2001:db8::2"), false, PortState::filtered, PortReason::admin_prohibited, true,
       "admin-prohibited from 2001:db8::2 (ICMPv6 type 1 code 1)"},
      {EHOSTUNREACH, icmp(false, 11, 0), false, PortState::filtered, PortReason::icmp_other, true,
       "Time to live exceeded from 198.18.0.2 (ICMP type 11 code 0)"},
      {ENETUNREACH, std::nullopt, true, PortState::filtered, PortReason::net_unreachable, true, "local routing table"},
      {EHOSTUNREACH, std::nullopt, false, PortState::filtered, PortReason::host_unreachable, true, "no ARP/ND"},
      {EACCES, std::nullopt, false, PortState::filtered, PortReason::admin_prohibited, true, "admin-prohibited"},
      {EPERM, std::nullopt, true, PortState::filtered, PortReason::local_error, true, "local firewall"},
      // Not mapped: still a row, the errno named.
      {ENOPROTOOPT, std::nullopt, false, PortState::filtered, PortReason::local_error, true,
       "error ENOPROTOOPT (Protocol not available)"},
      {EPROTO, std::nullopt, false, PortState::filtered, PortReason::local_error, true, "error EPROTO"},
      // A local decision keeps its errno even if an old ICMP error sat in the queue.
      {ENETUNREACH, icmp(false, 3, 3), true, PortState::filtered, PortReason::net_unreachable, true, "local"},
  };
  for (const auto& c : cases) {
    auto v = classify_connect_outcome(c.err, c.icmp, c.immediate);
    SCOPED_TRACE(v.text);
    EXPECT_EQ(v.state, c.state);
    EXPECT_EQ(v.reason, c.reason);
    EXPECT_EQ(v.answered, c.answered);
    EXPECT_EQ(v.err, c.err);
    EXPECT_NE(v.text.find(c.text), std::string::npos);
    EXPECT_EQ(v.icmp.has_value(), c.icmp.has_value() && !c.immediate);
  }
}

TEST(ConnectOutcome, IcmpReasonsAreTheSynScans) {
  EXPECT_EQ(icmp_port_reason(Family::v4, 3, 3), PortReason::port_unreachable);
  EXPECT_EQ(icmp_port_reason(Family::v4, 3, 9), PortReason::admin_prohibited);
  EXPECT_EQ(icmp_port_reason(Family::v6, 1, 3), PortReason::host_unreachable);
  EXPECT_EQ(icmp_port_reason(Family::v6, 1, 0), PortReason::net_unreachable);
  EXPECT_EQ(icmp_port_reason(Family::v4, 3, 15), PortReason::icmp_other);
}

}  // namespace
}  // namespace reach::engine
