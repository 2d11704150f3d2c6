// The --geo annotation: traceroute -A's bracket in text, only the known fields in NDJSON, and
// database strings that can never put an escape code on a terminal or break JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "format/geo_note.hpp"

namespace reach::format {
namespace {

TEST(GeoNote, BracketsHoldWhatIsKnown) {
  struct Case {
    model::GeoTag tag;
    const char* text;
  } cases[] = {
      {{"DE", 64501, "Lab"}, "[DE AS64501]"},
      {{"DE", 0, ""}, "[DE]"},
      {{"", 64501, "Lab"}, "[AS64501]"},
      {{"", 0, "Lab"}, ""},  // an organisation alone is too long for a hop line
      {{}, ""},
      {{"D\x1b[2J", 0, ""}, "[D\\x1b[2J]"},
  };
  for (const auto& c : cases) EXPECT_EQ(geo_brackets(c.tag), c.text) << c.text;
}

TEST(GeoNote, SuffixIsEmptyWhenGeoIsOffOrKnowsNothing) {
  auto a = *IpAddr::parse("198.18.1.1");
  EXPECT_EQ(geo_suffix(nullptr, a), "");
  EXPECT_EQ(geo_suffix([](const IpAddr&) { return model::GeoTag{}; }, a), "");
  EXPECT_EQ(geo_suffix([](const IpAddr&) { return model::GeoTag{"NL", 0, ""}; }, a), " [NL]");
}

TEST(GeoNote, JsonHasOnlyKnownFieldsAndAlwaysDumps) {
  auto a = *IpAddr::parse("2001:db8::1");
  nlohmann::json j = nlohmann::json::object();
  put_geo(j, nullptr, a);
  put_geo(j, [](const IpAddr&) { return model::GeoTag{}; }, a);
  EXPECT_FALSE(j.contains("geo"));
  put_geo(j, [](const IpAddr&) { return model::GeoTag{"", 64502, "Org \xff\xfe"}; }, a, "peer_geo");
  EXPECT_EQ(j["peer_geo"], (nlohmann::json{{"asn", 64502}, {"as_org", "Org \\xff\\xfe"}}));
  EXPECT_NO_THROW((void)j.dump());  // invalid UTF-8 from the file would make dump() throw
}

TEST(IpAddrUnspecified, OnlyAllZero) {
  EXPECT_TRUE(IpAddr::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddr::parse("::1")->is_unspecified());
  EXPECT_FALSE(IpAddr::parse("198.18.0.0")->is_unspecified());
}

}  // namespace
}  // namespace reach::format
