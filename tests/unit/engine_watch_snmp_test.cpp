// The verdict of watch's snmp rounds: counter rates (32-bit wrap, 64-bit reset), thresholds on
// values and rates, and the reason each failure gives.
#include <gtest/gtest.h>

#include "engine/watch_snmp.hpp"

// GCC 12 at -O3 (the Release build) reports the std::string of an aggregate-initialized table
// row as maybe-uninitialized: a known false positive (GCC PR 105562), not a bug of this table.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace reach::engine {
namespace {

constexpr TimeNs kSec = kNsPerSec;

TEST(SnmpRate, CountersWrapGaugesDoNot) {
  struct Case {
    SnmpKind kind;
    std::uint64_t a, b;
    TimeNs dt;
    std::optional<double> rate;
  } cases[] = {
      {SnmpKind::counter32, 1000, 3000, 2 * kSec, 1000.0},
      {SnmpKind::counter32, 0xffffff00ULL, 0x100, kSec, 512.0},           // wrapped once
      {SnmpKind::counter32, 5, 5, kSec, 0.0},
      {SnmpKind::counter64, 1ULL << 40, (1ULL << 40) + 4000, 4 * kSec, 1000.0},
      {SnmpKind::counter64, ~0ULL - 10, ~0ULL, kSec, 10.0},
      {SnmpKind::counter64, 1000, 10, kSec, std::nullopt},                 // reset: no rate
      {SnmpKind::gauge32, 100, 40, 2 * kSec, -30.0},
      {SnmpKind::integer, static_cast<std::uint64_t>(-10LL), 10, kSec, 20.0},
      {SnmpKind::counter32, 1, 2, 0, std::nullopt},                       // no time passed
      {SnmpKind::text, 1, 2, kSec, std::nullopt},
  };
  for (const auto& c : cases) {
    auto r = snmp_rate({c.kind, c.a, 10 * kSec}, {c.kind, c.b, 10 * kSec + c.dt});
    ASSERT_EQ(r.has_value(), c.rate.has_value()) << c.a << " -> " << c.b;
    if (r) {
      EXPECT_DOUBLE_EQ(*r, *c.rate) << c.a << " -> " << c.b;
    }
  }
  EXPECT_FALSE(snmp_rate({SnmpKind::counter32, 1, 0}, {SnmpKind::counter64, 2, kSec}));
}

config::SnmpOidSpec oid(std::string name, bool rate = false, std::optional<double> min = {},
                        std::optional<double> max = {}) {
  config::SnmpOidSpec o;
  o.text = o.name = std::move(name);
  o.numeric = {1, 3, 6, 1, 2, 1, 1, 3, 0};
  o.rate = rate;
  o.min = min;
  o.max = max;
  return o;
}

TEST(JudgeSnmp, ValuesAndThresholds) {
  struct Case {
    config::SnmpOidSpec spec;
    SnmpRead read;
    bool success;
    std::string reason;
  } cases[] = {
      {oid("up"), {SnmpKind::timeticks, 4200, {}}, true, ""},
      {oid("up", false, 5000), {SnmpKind::timeticks, 4200, {}}, false, "up: value 4200 below min 5000"},
      {oid("temp", false, {}, 70), {SnmpKind::integer, 71, {}}, false, "temp: value 71 above max 70"},
      {oid("temp", false, -5, 70), {SnmpKind::integer, static_cast<std::uint64_t>(-6LL), {}}, false,
       "temp: value -6 below min -5"},
      {oid("descr"), {SnmpKind::text, 0, "Linux"}, true, ""},
      {oid("descr", false, {}, 3), {SnmpKind::text, 0, "Linux"}, false, "descr: a text value, not a number"},
      {oid("x"), {SnmpKind::no_such_object, 0, {}}, false, "x: noSuchObject (the agent does not know this object)"},
      {oid("x"), {SnmpKind::no_such_instance, 0, {}}, false, "x: noSuchInstance (no such row or index)"},
      {oid("x"), {SnmpKind::missing, 0, {}}, false, "x: not in the answer"},
  };
  for (const auto& c : cases) {
    std::vector<std::optional<SnmpSample>> last;
    SnmpVerdict v = judge_snmp({c.spec}, {c.read}, kSec, last);
    EXPECT_EQ(v.success, c.success) << c.spec.name;
    EXPECT_EQ(v.reason, c.reason);
    ASSERT_EQ(v.values.size(), 1u);
    EXPECT_EQ(v.values[0].oid, "1.3.6.1.2.1.1.3.0");
  }
}

TEST(JudgeSnmp, RateThresholdJudgedFromTheSecondRoundOn) {
  std::vector<config::SnmpOidSpec> oids{oid("in", true, {}, 1000)};
  std::vector<std::optional<SnmpSample>> last;
  auto round = [&](std::uint64_t n, TimeNs at) { return judge_snmp(oids, {{SnmpKind::counter32, n, {}}}, at, last); };
  SnmpVerdict first = round(0xfffff000ULL, 10 * kSec);
  EXPECT_TRUE(first.success);  // nothing to compare with yet
  EXPECT_FALSE(first.values[0].has_rate);
  SnmpVerdict second = round(0x200, 12 * kSec);  // wrapped: 0x1000 + 0x200 = 4608 in 2 s
  EXPECT_FALSE(second.success);
  EXPECT_TRUE(second.values[0].has_rate);
  EXPECT_DOUBLE_EQ(second.values[0].rate, 2304.0);
  EXPECT_EQ(second.reason, "in: rate 2304/s above max 1000");
  SnmpVerdict third = round(0x200 + 1000, 13 * kSec);
  EXPECT_TRUE(third.success) << third.reason;
  EXPECT_DOUBLE_EQ(third.values[0].rate, 1000.0);
  // An OID that went missing starts its rate over.
  judge_snmp(oids, {{SnmpKind::no_such_instance, 0, {}}}, 14 * kSec, last);
  EXPECT_FALSE(round(99999999, 15 * kSec).values[0].has_rate);
}

TEST(JudgeSnmp, FirstProblemIsTheReasonEveryValueIsKept) {
  std::vector<config::SnmpOidSpec> oids{oid("a"), oid("b", false, {}, 1), oid("c")};
  std::vector<std::optional<SnmpSample>> last;
  SnmpVerdict v = judge_snmp(oids,
                             {{SnmpKind::gauge32, 5, {}}, {SnmpKind::gauge32, 2, {}}, {SnmpKind::no_such_object, 0, {}}},
                             kSec, last);
  EXPECT_FALSE(v.success);
  EXPECT_EQ(v.reason, "b: value 2 above max 1");
  ASSERT_EQ(v.values.size(), 3u);
  EXPECT_TRUE(v.values[0].has_value);
  EXPECT_FALSE(v.values[2].has_value);
}

}  // namespace
}  // namespace reach::engine
