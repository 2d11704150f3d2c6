#include <gtest/gtest.h>

#include "format/prom_exposition.hpp"

namespace reach::format::prom {
namespace {

TEST(PromNegotiate, AsClientGolang) {
  struct Case {
    const char* accept;
    Format format;
    std::string_view type;
  } cases[] = {
      {"", Format::text, kContentTypeText},
      {"*/*", Format::text, kContentTypeText},
      {"text/plain", Format::text, kContentTypeText},
      {"text/plain;version=0.0.4", Format::text, kContentTypeText},
      {"text/plain;version=9.9", Format::text, kContentTypeText},  // nothing matches: the default
      {"application/openmetrics-text", Format::openmetrics, kContentTypeOpenMetrics0},
      {"application/openmetrics-text; version=1.0.0", Format::openmetrics, kContentTypeOpenMetrics1},
      {"application/openmetrics-text;version=0.0.1", Format::openmetrics, kContentTypeOpenMetrics0},
      {"application/openmetrics-text;version=2.0.0", Format::text, kContentTypeText},
      // Prometheus 2.42's scrape header.
      {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       Format::openmetrics, kContentTypeOpenMetrics1},
      // Order by q, not by position.
      {"text/plain;q=0.5, application/openmetrics-text;version=1.0.0", Format::openmetrics, kContentTypeOpenMetrics1},
      {"application/openmetrics-text;version=1.0.0;q=0.2, text/plain;q=0.5", Format::text, kContentTypeText},
      // q=0 means "not acceptable".
      {"application/openmetrics-text;version=1.0.0;q=0, text/plain;q=0.1", Format::text, kContentTypeText},
      // Case-insensitive type and parameter names, quoted values.
      {"Application/OpenMetrics-Text; Version=\"1.0.0\"", Format::openmetrics, kContentTypeOpenMetrics1},
      // Malformed clauses are skipped, never fatal.
      {"garbage, ;;;, /, a/, application/openmetrics-text;q=abc, application/openmetrics-text;version=1.0.0;q=2",
       Format::text, kContentTypeText},
      {",,,,application/openmetrics-text;version=1.0.0", Format::openmetrics, kContentTypeOpenMetrics1},
  };
  for (const auto& c : cases) {
    auto n = negotiate(c.accept);
    EXPECT_EQ(n.format, c.format) << c.accept;
    EXPECT_EQ(n.content_type, c.type) << c.accept;
  }
}

TEST(PromFloat, AsGoFormatFloatG) {
  struct Case {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},          {1, "1"},           {-1, "-1"},          {64, "64"},
      {0.001, "0.001"},  {1.5e-05, "1.5e-05"}, {0.0001, "0.0001"}, {123456, "123456"},
      {1e6, "1e+06"},    {393238771, "3.93238771e+08"}, {1685115434, "1.685115434e+09"},
      {0.1 + 0.2, "0.30000000000000004"}, {1.1, "1.1"}, {1e21, "1e+21"}, {1e-300, "1e-300"},
      {1764500000.123, "1.764500000123e+09"}, {-2.5e-7, "-2.5e-07"},
      {std::numeric_limits<double>::infinity(), "+Inf"}, {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& c : cases) EXPECT_EQ(go_float(c.v), c.want) << c.want;
}

TEST(PromNames, Validation) {
  EXPECT_TRUE(valid_metric_name("reach_watch_up"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));
  EXPECT_TRUE(valid_metric_name("_x"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name("a b"));
  EXPECT_TRUE(valid_label_name("site"));
  EXPECT_TRUE(valid_label_name("_x1"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("1a"));
  EXPECT_FALSE(valid_label_name(""));
  EXPECT_FALSE(valid_label_name("é"));
}

TEST(PromEscape, LabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain é"), "plain é");
}

std::vector<Family> sample_families() {
  return {
      Family{"demo_up", Type::gauge, "Is it \"up\"\\\nreally", {{{{"target", "a\"b"}, {"site", "x\\y\nz"}}, 1}}},
      Family{"demo_rounds", Type::counter, "Rounds", {{{{"target", "a"}}, 3}, {{{"target", "b"}}, 1e6}}},
      Family{"demo_empty", Type::gauge, "Never written", {}},
      Family{"demo_ratio", Type::gauge, "Ratio", {{{}, 0.25}}},
  };
}

TEST(PromRender, Text004) {
  auto body = render(sample_families(), Format::text);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(*body,
            "# HELP demo_up Is it \"up\"\\\\\\nreally\n"
            "# TYPE demo_up gauge\n"
            "demo_up{target=\"a\\\"b\",site=\"x\\\\y\\nz\"} 1\n"
            "# HELP demo_rounds_total Rounds\n"
            "# TYPE demo_rounds_total counter\n"
            "demo_rounds_total{target=\"a\"} 3\n"
            "demo_rounds_total{target=\"b\"} 1e+06\n"
            "# HELP demo_ratio Ratio\n"
            "# TYPE demo_ratio gauge\n"
            "demo_ratio 0.25\n");
}

TEST(PromRender, OpenMetrics100) {
  auto body = render(sample_families(), Format::openmetrics);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body,
            "# HELP demo_up Is it \\\"up\\\"\\\\\\nreally\n"
            "# TYPE demo_up gauge\n"
            "demo_up{target=\"a\\\"b\",site=\"x\\\\y\\nz\"} 1.0\n"
            "# HELP demo_rounds Rounds\n"
            "# TYPE demo_rounds counter\n"
            "demo_rounds_total{target=\"a\"} 3.0\n"
            "demo_rounds_total{target=\"b\"} 1e+06\n"
            "# HELP demo_ratio Ratio\n"
            "# TYPE demo_ratio gauge\n"
            "demo_ratio 0.25\n"
            "# EOF\n");
  EXPECT_EQ(*render({}, Format::openmetrics), "# EOF\n");
  EXPECT_EQ(*render({}, Format::text), "");
}

TEST(PromRender, RejectsBadNamesWithoutWritingAnything) {
  struct Case {
    Family f;
    const char* why;
  } cases[] = {
      {Family{"bad-name", Type::gauge, "h", {{{}, 1}}}, "invalid metric name"},
      {Family{"x_total", Type::counter, "h", {{{}, 1}}}, "_total"},
      {Family{"x", Type::gauge, "h", {{{{"__name__", "y"}}, 1}}}, "invalid label name"},
      {Family{"x", Type::gauge, "h", {{{{"a", "1"}, {"a", "2"}}, 1}}}, "twice"},
  };
  for (const auto& c : cases) {
    auto body = render({c.f}, Format::text);
    ASSERT_FALSE(body) << c.why;
    EXPECT_NE(body.error().message().find(c.why), std::string::npos) << body.error().message();
  }
  auto twice = render({Family{"x", Type::gauge, "h", {}}, Family{"x", Type::gauge, "h", {}}}, Format::text);
  EXPECT_FALSE(twice);
}

}  // namespace
}  // namespace reach::format::prom
