// The one parser of typed addresses: every form, and what is refused, per AddressForm.
#include <gtest/gtest.h>

#include "base/address.hpp"

namespace reach {
namespace {

struct Case {
  const char* text;
  AddressForm form;
  const char* host;  // nullptr: an error is expected, `zone` then holds part of its text
  const char* zone;
  int port;          // -1: none
  bool literal;
};

constexpr auto H = AddressForm::host;
constexpr auto HP = AddressForm::host_port;
constexpr auto U = AddressForm::url;

const Case kCases[] = {
    {"198.18.0.1", H, "198.18.0.1", "", -1, true},
    {"2001:db8::1", H, "2001:db8::1", "", -1, true},
    {"fe80::1%eth0", H, "fe80::1", "eth0", -1, true},
    {"fe80::1%3", H, "fe80::1", "3", -1, true},
    {"fe80::1%25", H, "fe80::1", "25", -1, true},  // outside URLs, %25 is interface index 25
    {"[2001:db8::1]", H, "2001:db8::1", "", -1, true},
    {"[fe80::1%eth-s]", H, "fe80::1", "eth-s", -1, true},
    {"host.example", H, "host.example", "", -1, false},
    {"fe80::1%", H, nullptr, "no interface after '%'", -1, false},
    {"fe80::1%eth0/1", H, nullptr, "not an interface name", -1, false},
    {"fe80::1%averyveryverylongname", H, nullptr, "not an interface name", -1, false},
    {"198.18.0.1%eth0", H, nullptr, "only follow an IPv6 address", -1, false},
    {"host%eth0", H, nullptr, "only follow an IPv6 address", -1, false},
    {"2001:db8::zz", H, nullptr, "not a valid IPv6 address", -1, false},
    {"[198.18.0.1]", H, nullptr, "not an IPv6 address", -1, false},
    {"[2001:db8::1", H, nullptr, "missing ']'", -1, false},
    {"[2001:db8::1]:22", H, nullptr, "port does not belong", -1, false},
    {"198.18.0.1:22", H, nullptr, "port does not belong", -1, false},
    {"", H, nullptr, "empty", -1, false},
    {"a b", H, nullptr, "not a host name", -1, false},
    {"198.18.0.1:22", HP, "198.18.0.1", "", 22, true},
    {"host.example:443", HP, "host.example", "", 443, false},
    {"[2001:db8::1]:22", HP, "2001:db8::1", "", 22, true},
    {"[fe80::1%eth0]:22", HP, "fe80::1", "eth0", 22, true},
    {"[fe80::1%25eth0]:22", HP, "fe80::1", "25eth0", 22, true},  // '%' is literal outside URLs
    {"2001:db8::1:22", HP, nullptr, "needs brackets", -1, false},
    {"198.18.0.1", HP, nullptr, "no port", -1, false},
    {"198.18.0.1:", HP, nullptr, "no port after ':'", -1, false},
    {"198.18.0.1:0", HP, nullptr, "not a number from 1 to 65535", -1, false},
    {"198.18.0.1:65536", HP, nullptr, "not a number from 1 to 65535", -1, false},
    {"[2001:db8::1]x", HP, nullptr, "expected ':port'", -1, false},
    {":22", HP, nullptr, "no host", -1, false},
    {"[fe80::1%25eth0]", U, "fe80::1", "eth0", -1, true},  // RFC 6874
    {"[fe80::1%25eth0]:8080", U, "fe80::1", "eth0", 8080, true},
    {"[fe80::1%eth0]", U, "fe80::1", "eth0", -1, true},  // as browsers and curl accept it
    {"[fe80::1%2525]", U, "fe80::1", "25", -1, true},
    {"host.example", U, "host.example", "", -1, false},
    {"host.example:8443", U, "host.example", "", 8443, false},
    {"[fe80::1%25]", U, nullptr, "no interface after '%'", -1, false},
};

TEST(Address, EveryFormAsTyped) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    auto r = parse_address(c.text, c.form);
    if (!c.host) {
      ASSERT_FALSE(r);
      EXPECT_NE(r.error().detail.find(c.zone), std::string::npos) << r.error().detail;
      continue;
    }
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->host, c.host);
    EXPECT_EQ(r->zone, c.zone);
    EXPECT_EQ(r->port ? int{*r->port} : -1, c.port);
    EXPECT_EQ(r->literal.has_value(), c.literal);
    if (c.literal) {
      EXPECT_EQ(r->literal->to_string(), c.host);
    }
  }
}

TEST(Address, HostAndZoneRoundTrips) {
  auto r = parse_address("[fe80::1%25eth0]:80", AddressForm::url);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host_and_zone(), "fe80::1%eth0");
  auto again = parse_address(r->host_and_zone(), AddressForm::host);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->zone, "eth0");
}

TEST(Address, ZoneIsWhereNotWho) {
  auto a = *IpAddr::parse("fe80::1");
  auto b = a.with_scope(3);
  EXPECT_EQ(a, b);  // a reply from fe80::1 matches the target fe80::1%3
  EXPECT_EQ(b.scope(), 3u);
  EXPECT_EQ(a.scope(), 0u);
}

TEST(Address, WhichAddressesNeedAZone) {
  struct {
    const char* text;
    bool needs;
  } cases[] = {{"fe80::1", true},  {"febf::1", true},     {"fec0::1", false}, {"ff02::1", true},
               {"ff12::1", true},  {"ff01::1", true},     {"ff05::1", false}, {"2001:db8::1", false},
               {"::1", false},     {"198.18.0.1", false}, {"::ffff:198.18.0.1", false}};
  for (const auto& c : cases) EXPECT_EQ(IpAddr::parse(c.text)->needs_zone(), c.needs) << c.text;
}

// The one writer of host:port (watch's target names, check's labels, config's DNS servers):
// an IPv6 literal with a port is bracketed (RFC 5952 §6), or `::1:8080` would be a different
// address; IPv4 and names never are.
TEST(Address, JoinHostPortBracketsIpv6Only) {
  struct {
    const char* host;
    std::optional<std::uint16_t> port;
    bool bracket;
    const char* want;
  } cases[] = {
      {"127.0.0.1", 8080, true, "127.0.0.1:8080"},   {"::1", 8080, true, "[::1]:8080"},
      {"::1", 8080, false, "[::1]:8080"},            {"2001:db8::1", 53, true, "[2001:db8::1]:53"},
      {"fe80::1%eth0", 22, true, "[fe80::1%eth0]:22"}, {"[::1]", 80, true, "[::1]:80"},
      {"example.org", 443, true, "example.org:443"}, {"::1", std::nullopt, true, "[::1]"},
      {"::1", std::nullopt, false, "::1"},           {"198.18.0.1", std::nullopt, true, "198.18.0.1"},
  };
  for (const auto& c : cases) EXPECT_EQ(join_host_port(c.host, c.port, c.bracket), c.want) << c.host;
  // What it writes, parse_address reads back.
  auto back = parse_address(join_host_port("fe80::1%eth0", 22), AddressForm::host_port);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->host_and_zone(), "fe80::1%eth0");
  EXPECT_EQ(back->port, 22);
}

}  // namespace
}  // namespace reach
