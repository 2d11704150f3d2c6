// Durations (Prometheus' grammar), byte sizes (SI vs IEC), RFC 3339 times.
#include <gtest/gtest.h>

#include "base/time.hpp"
#include "config/values.hpp"

namespace reach::config {
namespace {

TEST(Duration, PrometheusGrammar) {
  struct {
    const char* text;
    std::int64_t ns;
  } good[] = {{"0", 0},
              {"1s", kNsPerSec},
              {"500ms", 500 * kNsPerMs},
              {"1m30s", 90 * kNsPerSec},
              {"2y", 2 * 365LL * 86400 * kNsPerSec},
              {"1w2d", 9LL * 86400 * kNsPerSec},
              {"1h0m5s10ms", 3605 * kNsPerSec + 10 * kNsPerMs},
              {"0s", 0}};
  for (auto& g : good) {
    auto d = parse_duration(g.text);
    ASSERT_TRUE(d) << g.text << ": " << d.error().message();
    EXPECT_EQ(*d, g.ns) << g.text;
    EXPECT_EQ(parse_duration(format_duration(g.ns)).value(), g.ns);
  }
  for (const char* bad : {"", "s", "1", "1.5s", "-1s", "1S", "1s1m", "1m1m", "1 s", "1sec", "300000y",
                          "99999999999999999999s", "1ms1s"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
  EXPECT_EQ(format_duration(90 * kNsPerSec), "1m30s");
  EXPECT_EQ(format_duration(1500), "1us500ns");
}

TEST(ByteSize, SiAndIecUnits) {
  struct {
    const char* text;
    std::uint64_t bytes;
  } good[] = {{"30GB", 30000000000ULL},
              {"30GiB", 30ULL << 30},
              {"500MB", 500000000ULL},
              {"1048576", 1048576},
              {"12B", 12},
              {"1.5GB", 1500000000ULL},
              {"0.5KiB", 512},
              {"1kB", 1000},
              {"1KB", 1000},
              {"18446744073709551615", 18446744073709551615ULL}};
  for (auto& g : good) {
    auto b = parse_byte_size(g.text);
    ASSERT_TRUE(b) << g.text << ": " << b.error().message();
    EXPECT_EQ(*b, g.bytes) << g.text;
  }
  for (const char* bad : {"", "GB", "-1GB", "1.5B", "30gb", "30 G", "1..5GB", "18446744073709551616",
                          "20000000PB", "1e9", "0.1B"})
    EXPECT_FALSE(parse_byte_size(bad)) << bad;
  EXPECT_EQ(parse_byte_size("0.0000001KB").error().detail, "'0.0000001KB' is not a whole number of bytes");
}

TEST(Rfc3339, ZonesAndFractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2026-12-24T23:00:00+01:00"), 1798149600);
  EXPECT_EQ(parse_rfc3339("2026-12-24T22:00:00.123Z"), 1798149600);
  EXPECT_EQ(parse_rfc3339("2026-12-24t17:00:00-05:00"), 1798149600);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800);
  for (const char* bad : {"2026-12-24T22:00:00", "2026-12-24", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-12-24T22:00:00+1:00", "2026-12-24T22:00:00.Z", "2026-12-24T25:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

}  // namespace
}  // namespace reach::config
