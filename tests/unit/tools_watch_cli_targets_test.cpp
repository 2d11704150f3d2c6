// Command-line targets of `reach watch`: the one place their display name is formed. An IPv6
// literal followed by a port (or a URL path, or a DNS name) is in brackets, so the live table,
// /metrics, the API and the events never show the ambiguous `::1:8080`; IPv4 and names as they are.
#include "tools/watch/cli_targets.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace reach::tools::watch {
namespace {

TEST(CliTargets, EveryKindNamesAnIpv6AddressInBrackets) {
  struct {
    const char *kind, *rest, *name;
  } cases[] = {
      {"tcp", "[::1]:8080", "[::1]:8080"},
      {"tcp", "127.0.0.1:8080", "127.0.0.1:8080"},
      {"tcp", "[0:0::1]:8080", "[::1]:8080"},  // RFC 5952 §4: the canonical text
      {"tcp", "[2001:DB8::1]:80", "[2001:db8::1]:80"},
      {"tcp", "localhost:80", "localhost:80"},
      {"syn", "[2001:db8::1]:22", "[2001:db8::1]:22"},
      {"udp", "[::1]:53", "[::1]:53"},
      {"tcp", "[fe80::1%eth0]:22", "[fe80::1_eth0]:22"},  // '%' is not a name character
      {"icmp", "::1", "::1"},                             // no port: nothing to confuse
      {"icmp", "[::1]", "::1"},
      {"icmp", "198.18.1.2", "198.18.1.2"},
      {"https", "[::1]:8443/", "[::1]:8443"},
      {"https", "[::1]:8443/health", "[::1]:8443_health"},
      {"http", "[::1]/", "[::1]"},
      {"http", "198.18.1.2/x?y=1", "198.18.1.2_x_y_1"},
      {"dns", "[::1]/example.org", "[::1]_example.org"},
      {"dns", "[::1]:5353/example.org?type=AAAA", "[::1]:5353_example.org_type_AAAA"},
      {"dns", "198.18.0.53/example.org", "198.18.0.53_example.org"},
  };
  for (const auto& c : cases) EXPECT_EQ(target_name(c.kind, c.rest), c.name) << c.kind << "://" << c.rest;
}

TEST(CliTargets, TheYamlCarriesTheNameAndTheAddressApart) {
  auto y = targets_yaml({"tcp://[::1]:8080", "::1", "tcp://[::1]:8080", "dns://[2001:db8::53]/a.example"});
  ASSERT_TRUE(y) << y.error().message();
  auto j = nlohmann::json::parse(*y)["targets"];
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["name"], "[::1]:8080");
  EXPECT_EQ(j[0]["host"], "::1");
  EXPECT_EQ(j[0]["port"], 8080);
  EXPECT_EQ(j[1]["name"], "::1");
  EXPECT_EQ(j[2]["name"], "[::1]:8080_2");  // the same target twice
  EXPECT_EQ(j[3]["name"], "[2001:db8::53]_a.example");
  EXPECT_EQ(j[3]["host"], "[2001:db8::53]");
  EXPECT_FALSE(targets_yaml({"tcp://[::1]"}));
  EXPECT_FALSE(targets_yaml({"ftp://[::1]/"}));
}

}  // namespace
}  // namespace reach::tools::watch
