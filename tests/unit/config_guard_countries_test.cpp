// guard's `countries:` and `geo_db:` keys: the shape, codes taken in either case, and each
// wrong code or path an error with its line.
#include <gtest/gtest.h>

#include <string>

#include "config/guard_config.hpp"

namespace reach::config {
namespace {

std::string with(const std::string& extra) {
  return "guard:\n  sources: [ { file: /var/log/auth.log, rules: [sshd] } ]\n" + extra;
}

std::string errors_of(const std::string& text) {
  auto c = parse_guard_config(text, "g.yml");
  return c ? std::string("OK") : c.error().message();
}

TEST(GuardCountriesConfig, TheShapeOfTheBriefParses) {
  auto c = parse_guard_config(with("  geo_db: /var/lib/GeoIP/GeoLite2-Country.mmdb\n"
                                   "  countries: { ban: [CN, ru], allow: [DE] }\n"),
                              "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->countries.db, std::vector<std::string>{"/var/lib/GeoIP/GeoLite2-Country.mmdb"});
  EXPECT_EQ(c->countries.ban, (std::vector<std::string>{"CN", "RU"}));
  EXPECT_EQ(c->countries.allow, std::vector<std::string>{"DE"});
  EXPECT_EQ(c->countries.line, 4);
  EXPECT_TRUE(c->countries.any());
}

TEST(GuardCountriesConfig, ListsScalarsAndNoRules) {
  auto c = parse_guard_config(with("  geo_db: [ /a/country.mmdb, /b/asn.mmdb ]\n  countries: { ban: CN, allow: [] }\n"), "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->countries.db.size(), 2u);
  EXPECT_EQ(c->countries.ban, std::vector<std::string>{"CN"});
  EXPECT_TRUE(c->countries.allow.empty());
  c = parse_guard_config(with(""), "g.yml");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->countries.any());
  EXPECT_EQ(c->countries.line, 0);
}

TEST(GuardCountriesConfig, EachMistakeIsAnErrorWithItsLine) {
  struct Case {
    const char* extra;
    const char* error;
  } cases[] = {
      {"  countries: { ban: [CHN] }\n",
       "g.yml:3: guard.countries.ban[0]: must be an ISO 3166-1 alpha-2 country code (CN, DE), not 'CHN'"},
      {"  countries: { ban: [C1] }\n", "g.yml:3: guard.countries.ban[0]: must be an ISO 3166-1 alpha-2"},
      {"  countries:\n    ban: [CN]\n    allow: [DE, cn]\n",
       "g.yml:5: guard.countries.allow[1]: CN is in both countries.ban and countries.allow"},
      {"  countries: { block: [CN] }\n", "g.yml:3: guard.countries.block"},
      {"  countries: [CN]\n", "g.yml:3: guard.countries"},
      {"  geo_db: GeoLite2-Country.mmdb\n", "g.yml:3: guard.geo_db: must be an absolute path"},
      {"  geo_db: [ /ok.mmdb, rel.mmdb ]\n", "g.yml:3: guard.geo_db[1]: must be an absolute path"},
  };
  for (const auto& c : cases) {
    const std::string got = errors_of(with(c.extra));
    EXPECT_NE(got.find(c.error), std::string::npos) << c.extra << "\n" << got;
  }
}

}  // namespace
}  // namespace reach::config
