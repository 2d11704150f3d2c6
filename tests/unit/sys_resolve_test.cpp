// sys::resolve on literals (no resolver, no packets): the forms every command's targets take.
#include "sys/resolve.hpp"

#include <gtest/gtest.h>

namespace reach::sys {
namespace {

IpAddr ip(const char* text) { return *IpAddr::parse(text); }

TEST(Resolve, AnIpv4MappedLiteralIsTheIpv4AddressItNames) {
  // An IPv6 socket cannot send to ::ffff:a.b.c.d (bind/sendto fail with EADDRNOTAVAIL or
  // ENETUNREACH): ping, trace, scan and check probe the IPv4 address instead.
  for (auto family : {std::optional<Family>{}, std::optional<Family>{Family::v4}}) {
    auto r = resolve(std::string("::ffff:198.18.0.7"), family);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->front(), ip("198.18.0.7"));
    EXPECT_TRUE(r->front().is_v4());
  }
  auto six = resolve(std::string("::ffff:198.18.0.7"), Family::v6);
  ASSERT_FALSE(six);
  EXPECT_EQ(six.error().message(),
            "resolve ::ffff:198.18.0.7: an IPv4-mapped address, IPv4 198.18.0.7 on the wire, not IPv6");
}

TEST(Resolve, OtherLiteralsStayAsWritten) {
  EXPECT_EQ(resolve(std::string("2001:db8::ffff:198.18.0.7"), std::nullopt)->front(), ip("2001:db8::ffff:c612:7"));
  EXPECT_EQ(resolve(std::string("[2001:db8::1]"), std::nullopt)->front(), ip("2001:db8::1"));
  auto four = resolve(std::string("2001:db8::1"), Family::v4);
  ASSERT_FALSE(four);
  EXPECT_EQ(four.error().detail, "not an IPv4 address");
}

}  // namespace
}  // namespace reach::sys
