// DNSBL query names (RFC 5782 §2.1, §2.4), zones and the meaning of answers.
#include <gtest/gtest.h>

#include "engine/dnsbl.hpp"

namespace reach::engine {
namespace {

using model::DnsblStatus;

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST(DnsblName, Table) {
  struct Case {
    const char* addr;
    const char* zone;
    const char* name;
    bool mapped;
  } cases[] = {
      {"198.18.0.2", "dnsbl.test", "2.0.18.198.dnsbl.test.", false},
      {"127.0.0.2", "zen.spamhaus.org", "2.0.0.127.zen.spamhaus.org.", false},  // RFC 5782 §5 test entry
      {"0.0.0.0", "z", "0.0.0.0.z.", false},
      {"255.255.255.255", "z", "255.255.255.255.z.", false},
      // RFC 5782 §2.4's own example: 2001:db8:1:2:3:4:567:89ab
      {"2001:db8:1:2:3:4:567:89ab", "ugly.example.com",
       "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com.", false},
      {"::", "z", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z.", false},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "z",
       "e.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.z.", false},
      {"f00f::1", "z", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.f.0.0.f.z.", false},
      {"::1", "z", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z.", false},
      // IPv4-mapped: looked up as the IPv4 address
      {"::ffff:198.18.0.2", "dnsbl.test", "2.0.18.198.dnsbl.test.", true},
      // IPv4-compatible (deprecated) and NAT64 are IPv6 addresses of their own
      {"::198.18.0.2", "z", "2.0.0.0.2.1.6.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z.", false},
      {"::fffe:198.18.0.2", "z", "2.0.0.0.2.1.6.c.e.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z.", false},
  };
  for (const auto& c : cases) {
    auto t = dnsbl_target(ip(c.addr));
    EXPECT_EQ(t.mapped_v4, c.mapped) << c.addr;
    EXPECT_EQ(dnsbl_query_name(t.addr, c.zone), c.name) << c.addr;
  }
}

TEST(DnsblZone, Table) {
  struct Case {
    const char* in;
    const char* out;  // nullptr: an error
  } cases[] = {
      {"zen.spamhaus.org", "zen.spamhaus.org"},
      {"ZEN.Spamhaus.ORG.", "zen.spamhaus.org"},
      {"dnsbl.test", "dnsbl.test"},
      {"b.barracudacentral.org", "b.barracudacentral.org"},
      {"_dmarc-ish.x_y", "_dmarc-ish.x_y"},
      {"", nullptr},
      {".", nullptr},
      {"..", nullptr},
      {".dnsbl.test", nullptr},
      {"dnsbl..test", nullptr},
      {"dnsbl test", nullptr},
      {"dnsbl.test/", nullptr},
      {"dnsbl.t\xc3\xa9st", nullptr},
  };
  for (const auto& c : cases) {
    auto z = dnsbl_zone(c.in);
    if (c.out) {
      ASSERT_TRUE(z) << c.in << ": " << z.error().message();
      EXPECT_EQ(*z, c.out);
    } else {
      EXPECT_FALSE(z) << c.in;
    }
  }
  EXPECT_TRUE(dnsbl_zone(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(dnsbl_zone(std::string(64, 'a') + ".test"));
  std::string long_zone;
  while (long_zone.size() < 189) long_zone += "abcdefgh.";
  long_zone.resize(189);
  if (long_zone.back() == '.') long_zone.back() = 'x';
  EXPECT_TRUE(dnsbl_zone(long_zone));
  EXPECT_FALSE(dnsbl_zone(long_zone + "x"));
  // The longest accepted zone still makes an IPv6 query name within 253 characters (+ the dot).
  EXPECT_EQ(dnsbl_query_name(ip("2001:db8::1"), *dnsbl_zone(long_zone)).size(), 254u);
  EXPECT_NE(dnsbl_zone("").error().message().find("empty zone"), std::string::npos);
}

TEST(DnsblClassify, Table) {
  auto answer = [](int rcode, std::vector<std::string> a) {
    DnsblAnswer x;
    x.answered = true;
    x.rcode = rcode;
    x.rcode_name = rcode == 0 ? "NOERROR" : rcode == 2 ? "SERVFAIL" : rcode == 3 ? "NXDOMAIN" : rcode == 5 ? "REFUSED" : "";
    x.a = std::move(a);
    return x;
  };
  DnsblAnswer timeout;
  timeout.timed_out = true;
  DnsblAnswer local;
  local.error = "Connection refused";
  struct Case {
    DnsblAnswer in;
    DnsblStatus want;
    const char* reason_has;
  } cases[] = {
      {answer(3, {}), DnsblStatus::not_listed, "NXDOMAIN"},
      {answer(0, {}), DnsblStatus::not_listed, "no A record"},
      {answer(0, {"127.0.0.2"}), DnsblStatus::listed, "listed"},
      {answer(0, {"127.0.0.4", "127.0.0.10"}), DnsblStatus::listed, "listed"},
      {answer(0, {"127.1.2.3"}), DnsblStatus::listed, "listed"},
      {answer(0, {"127.255.254.255"}), DnsblStatus::listed, "listed"},
      {answer(0, {"127.255.255.254"}), DnsblStatus::error, "public or open resolver"},
      {answer(0, {"127.255.255.252"}), DnsblStatus::error, "typo"},
      {answer(0, {"127.255.255.255"}), DnsblStatus::error, "too many"},
      {answer(0, {"127.255.255.1"}), DnsblStatus::error, "refused the query: 127.255.255.1"},
      {answer(0, {"127.0.0.2", "127.255.255.254"}), DnsblStatus::error, "refused"},
      {answer(0, {"127.0.0.1"}), DnsblStatus::error, "URIBL"},
      {answer(0, {"198.18.0.9"}), DnsblStatus::error, "outside 127.0.0.0/8"},
      {answer(0, {"126.255.255.255"}), DnsblStatus::error, "outside"},
      {answer(0, {"128.0.0.2"}), DnsblStatus::error, "outside"},
      {answer(0, {"127.0.0.2", "10.0.0.1"}), DnsblStatus::error, "outside"},
      {answer(0, {"not an address"}), DnsblStatus::error, "outside"},
      {answer(0, {""}), DnsblStatus::error, "outside"},  // found by fuzz_dnsbl: an empty text was no marker
      {answer(0, {"127.0.0.2", ""}), DnsblStatus::error, "outside"},
      {answer(2, {}), DnsblStatus::error, "SERVFAIL"},
      {answer(5, {}), DnsblStatus::error, "REFUSED"},
      {answer(9, {}), DnsblStatus::error, "RCODE9"},
      {timeout, DnsblStatus::error, "no answer"},
      {local, DnsblStatus::error, "Connection refused"},
  };
  for (const auto& c : cases) {
    auto v = classify_dnsbl(c.in);
    EXPECT_EQ(v.status, c.want) << (c.in.a.empty() ? c.in.rcode_name : c.in.a.front());
    EXPECT_NE(v.reason.find(c.reason_has), std::string::npos) << v.reason;
    if (v.status == DnsblStatus::listed) {
      EXPECT_EQ(v.codes, c.in.a);
    }
  }
}

TEST(DnsblTxt, Table) {
  struct Case {
    std::vector<std::string> in;
    const char* out;
  } cases[] = {
      {{}, ""},
      {{"\"Listed by lab\""}, "Listed by lab"},
      {{"\"part one, \" \"part two\""}, "part one, part two"},
      {{"\"a\"", "\"b\""}, "a; b"},
      {{"\"say \\\"hi\\\" \\\\ bye\""}, "say \"hi\" \\ bye"},
      {{"\"\""}, ""},
      {{"unquoted"}, "unquoted"},
      {{"\"unterminated"}, "\"unterminated"},
      {{"\"x\" junk"}, "\"x\" junk"},
      {{"\"ends in backslash\\"}, "\"ends in backslash\\"},
  };
  for (const auto& c : cases) EXPECT_EQ(dnsbl_txt_text(c.in), c.out);
}

}  // namespace
}  // namespace reach::engine
