#include <gtest/gtest.h>

#include "config/endpoint.hpp"

namespace reach::config {
namespace {

struct Good {
  const char* text;
  const char* host;
  std::uint16_t port;
  CheckKind kind;
};

TEST(Endpoint, ParsesEveryForm) {
  const Good cases[] = {
      {"198.18.0.1:80", "198.18.0.1", 80, CheckKind::tcp},
      {"example.org:443", "example.org", 443, CheckKind::tcp},
      {"[2001:db8::1]:22", "2001:db8::1", 22, CheckKind::tcp},
      {"http://198.18.0.1/health", "198.18.0.1", 80, CheckKind::http},
      {"https://web.example:8443/x?y#z", "web.example", 8443, CheckKind::https},
      {"HTTPS://[2001:db8::5]/", "2001:db8::5", 443, CheckKind::https},
      {"http://user:pw@host:81", "host", 81, CheckKind::http},
      {"h:65535", "h", 65535, CheckKind::tcp},
      {"[fe80::1%eth0]:22", "fe80::1%eth0", 22, CheckKind::tcp},
      {"http://[fe80::1%25eth0]:8080/", "fe80::1%eth0", 8080, CheckKind::http},  // RFC 6874
  };
  for (const auto& c : cases) {
    auto e = parse_endpoint(c.text);
    ASSERT_TRUE(e) << c.text << ": " << e.error().message();
    EXPECT_EQ(e->host, c.host) << c.text;
    EXPECT_EQ(e->port, c.port) << c.text;
    EXPECT_EQ(e->kind, c.kind) << c.text;
    EXPECT_EQ(e->name, c.text);
  }
}

TEST(Endpoint, RejectsWithReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"198.18.0.1", "no port"},
      {"198.18.0.1:0", "1 to 65535"},
      {"198.18.0.1:65536", "1 to 65535"},
      {"198.18.0.1:+80", "1 to 65535"},
      {"host:80x", "1 to 65535"},
      {"2001:db8::1:80", "brackets"},
      {"[2001:db8::1:80", "missing ']'"},
      {"[198.18.0.1]:80", "not an IPv6"},
      {"[2001:db8::1]80", "':port'"},
      {":80", "no host"},
      {"ftp://x/", "only http"},
      {"http://", "without a host"},
      {"bad host:80", "not a host"},
      {"http://x:99999/", "1 to 65535"},
      {"[198.18.0.1%eth0]:80", "only follow an IPv6"},
      {"[fe80::1%]:80", "no interface after"},
  };
  for (auto [text, why] : cases) {
    auto e = parse_endpoint(text);
    ASSERT_FALSE(e) << text;
    EXPECT_NE(e.error().message().find(why), std::string::npos) << text << " -> " << e.error().message();
  }
}

TEST(EndpointFile, LinesCommentsAndNames) {
  auto r = parse_endpoint_file(
      "# backends\n"
      "198.18.0.1 80 web1\n"
      "  \n"
      "198.18.0.2 81   # no name\n"
      "2001:db8::1 443 v6\n"
      "[2001:db8::2]:22 ssh\n"
      "https://198.18.0.3/health\n"
      "fe80::1%eth-s 22\n",
      "list.txt");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[5].host, "fe80::1%eth-s");
  EXPECT_EQ((*r)[5].name, "[fe80::1%eth-s]:22");
  EXPECT_EQ((*r)[0].name, "web1");
  EXPECT_EQ((*r)[0].port, 80);
  EXPECT_EQ((*r)[1].name, "198.18.0.2:81");
  EXPECT_EQ((*r)[2].host, "2001:db8::1");
  EXPECT_EQ((*r)[2].name, "v6");
  EXPECT_EQ((*r)[3].port, 22);
  EXPECT_EQ((*r)[3].name, "ssh");
  EXPECT_EQ((*r)[4].kind, CheckKind::https);
}

TEST(EndpointFile, ErrorsNameTheLine) {
  auto r = parse_endpoint_file("198.18.0.1 80\n198.18.0.2 99999\n", "list.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "read endpoints list.txt: line 2: port '99999' is not a number from 1 to 65535");
  r = parse_endpoint_file("a 1 b c\n", "f");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("line 1"), std::string::npos);
  r = parse_endpoint_file("\n\nnoport\n", "f");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("line 3: no port"), std::string::npos);
}

TEST(EndpointFile, EmptyFileIsEmptyList) {
  auto r = parse_endpoint_file("# nothing\n\n", "f");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace reach::config
