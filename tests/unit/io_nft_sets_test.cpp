// The pure parts of io::NftSets: which set a prefix goes to, the allow-list check, the batch
// script. The kernel side runs in tests/integration/test_nft_sets.py.
#include "io/nft_sets.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace reach::io {
namespace {

IpPrefix P(const char* s) { return *parse_prefix(s); }

TEST(NftSets, SetForEachSupportedLength) {
  const struct {
    const char* prefix;
    const char* set;
  } cases[] = {
      {"198.18.0.1/32", "ban4"},          {"198.18.0.0/24", "ban4_24"},   {"198.18.0.0/16", ""},
      {"2001:db8::1/128", "ban6"},        {"2001:db8:1:2::/64", "ban6_64"}, {"2001:db8:1::/48", "ban6_48"},
      {"2001:db8::/56", ""},              {"2001:db8::/32", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(set_for(P(c.prefix)), c.set) << c.prefix;
}

TEST(NftSets, BanRefusedWhenItOverlapsTheAllowList) {
  const std::vector<IpPrefix> allow = {P("198.18.0.7/32"), P("2001:db8:5:5::1/128"), P("2001:db8:9::/48"),
                                       P("::ffff:198.18.3.3/128")};
  const struct {
    const char* prefix;
    bool refused;
  } cases[] = {
      {"198.18.0.7/32", true},       // the address itself
      {"198.18.0.0/24", true},       // a /24 holding it
      {"198.18.0.8/32", false},
      {"198.18.3.3/32", true},       // allowed in its mapped form
      {"2001:db8:5:5::/64", true},   // the /64 of an allowed address
      {"2001:db8:5::/48", true},
      {"2001:db8:5:6::/64", false},
      {"2001:db8:9:1::/64", true},   // inside an allowed /48
      {"127.0.0.1/32", true},        // never: loopback, link-local, multicast, mapped
      {"::1/128", true},
      {"fe80::/64", true},
      {"ff02::/64", true},
      {"::ffff:198.18.0.0/128", false},  // read as 198.18.0.0/32, banned in the IPv4 set
      {"::ffff:198.18.0.7/128", true},   // read as the allowed 198.18.0.7
      {"198.18.0.0/16", true},       // no set for /16
  };
  for (const auto& c : cases) EXPECT_EQ(ban_refused(P(c.prefix), allow), c.refused) << c.prefix;
}

TEST(NftSets, AddScriptGroupsBySetOneCommandEach) {
  const std::vector<Ban> bans = {{P("2001:db8:1:2::/64"), 600 * kNsPerSec},
                                 {P("198.18.0.1/32"), 1500 * kNsPerMs},
                                 {P("2001:db8:1:3::/64"), 100 * kNsPerMs}};
  EXPECT_EQ(add_script("reach", bans, true),
            "add element inet reach ban4 { 198.18.0.1 timeout 1s500ms }\n"
            "add element inet reach ban6_64 { 2001:db8:1:2:: timeout 10m, 2001:db8:1:3:: timeout 1s }\n");
  EXPECT_EQ(add_script("reach", std::vector<Ban>{bans[1]}, false),
            "add element inet reach ban4 { 198.18.0.1 timeout 1s500ms }\n"
            "delete element inet reach ban4 { 198.18.0.1 }\n"
            "add element inet reach ban4 { 198.18.0.1 timeout 1s500ms }\n");
}

// What `list table` holds decides whether the table is reach's: the ban sets and chain, and reach
// usage's block, are; anything else (an operator's `table inet filter`) is not, and is left alone.
TEST(NftSets, ATableHoldingAnythingElseIsNotOurs) {
  const std::string meta = R"({"metainfo": {"version": "1.0.6"}}, {"table": {"family": "inet", "name": "reach"}})";
  auto listing = [&](const std::string& items) { return R"({"nftables": [)" + meta + items + "]}"; };
  EXPECT_EQ(foreign_in_table(listing("")), "");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"set": {"name": "ban6_64"}}, {"chain": {"name": "prerouting"}},
      {"rule": {"chain": "prerouting"}}, {"set": {"name": "usage_block"}}, {"chain": {"name": "usage_input"}},
      {"rule": {"chain": "usage_essential"}})")),
            "");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"chain": {"name": "prerouting"}}, {"chain": {"name": "input"}})")), "chain input");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"set": {"name": "blocklist"}})")), "set blocklist");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"rule": {"chain": "forward"}})")), "a rule in chain forward");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"map": {"name": "m"}})")), "map m");
  EXPECT_EQ(foreign_in_table(listing(R"(, {"flowtable": {"name": "ft"}})")), "flowtable ft");
  EXPECT_EQ(foreign_in_table("not json"), "unreadable listing");
  EXPECT_EQ(foreign_in_table(R"({"nftables": 3})"), "unreadable listing");
}

}  // namespace
}  // namespace reach::io
