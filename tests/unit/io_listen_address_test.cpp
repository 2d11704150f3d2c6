// The listen addresses of the daemons' config files, table-driven.
#include "io/listen_address.hpp"

#include <gtest/gtest.h>

namespace reach::io {
namespace {

struct Good {
  const char* text;
  const char* canonical;
  bool wildcard, v6_only;
};

TEST(ListenAddress, Accepted) {
  const Good cases[] = {
      {"127.0.0.1:9798", "127.0.0.1:9798", false, false},
      {"[::1]:9798", "[::1]:9798", false, true},
      {"[::]:9798", "[::]:9798", false, true},
      {":9798", ":9798", true, false},
      {"0.0.0.0:80", "0.0.0.0:80", false, false},
      {"[2001:db8::1]:65535", "[2001:db8::1]:65535", false, true},
      {"198.18.0.1:1", "198.18.0.1:1", false, false},
  };
  for (const auto& c : cases) {
    auto a = parse_listen_address(c.text);
    ASSERT_TRUE(a.has_value()) << c.text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), c.canonical);
    EXPECT_EQ(!a->addr.has_value(), c.wildcard) << c.text;
    EXPECT_EQ(a->v6_only(), c.v6_only) << c.text;
  }
}

TEST(ListenAddress, RefusedWithTheTextAndAReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "no port (write ADDRESS:PORT, [IPv6]:PORT or :PORT"},
      {"9798", "no port (write ADDRESS:PORT"},
      {"127.0.0.1", "no port (write ADDRESS:PORT"},
      {"127.0.0.1:", "no port after ':' (write ADDRESS:PORT, [IPv6]:PORT or :PORT, e.g. 0.0.0.0:80"},
      {"127.0.0.1:0", "port must be 1-65535"},
      {"127.0.0.1:65536", "port must be 1-65535"},
      {"127.0.0.1:123456", "port must be 1-65535"},
      {"127.0.0.1:+80", "port must be 1-65535"},
      {"127.0.0.1:80 ", "port must be 1-65535"},
      {"localhost:9798", "host names are not resolved"},
      {"::1:9798", "in brackets"},
      {"[::1]", "no port (write ADDRESS:PORT"},
      {"[::1]x", "expected [IPv6]:PORT"},
      {"[::1]9798", "expected [IPv6]:PORT"},
      {"[::1:9798", "missing ']'"},
      {"[127.0.0.1]:80", "brackets are for IPv6"},
      {"[]:80", "brackets are for IPv6"},
      {"[fe80::1%eth0]:80", "zone ids"},
      {"256.1.1.1:80", "not a numeric IP address"},
  };
  for (const auto& [text, why] : cases) {
    auto a = parse_listen_address(text);
    ASSERT_FALSE(a.has_value()) << text;
    std::string m = a.error().message();
    EXPECT_NE(m.find(std::string("\"") + text + "\""), std::string::npos) << m;
    EXPECT_NE(m.find(why), std::string::npos) << text << " -> " << m;
  }
  EXPECT_FALSE(parse_listen_address(std::string_view("1.2.3.4\0x:80", 11)).has_value());
  EXPECT_TRUE(parse_listen_address("127.0.0.1:0", true).has_value());
}

}  // namespace
}  // namespace reach::io
