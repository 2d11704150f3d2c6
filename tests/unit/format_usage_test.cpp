// `reach usage` output: text (status, --days, --months), NDJSON, vnStat JSON (the same shape as
// Debian's vnstat 2.10 prints), MRTG counters, Nagios states and perfdata, Prometheus series.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "format/usage_json.hpp"
#include "format/usage_plugins.hpp"
#include "format/usage_text.hpp"
#include "usage_report.hpp"

namespace reach::format {
namespace {

using nlohmann::json;
using testing::sample_usage_report;

std::vector<json> lines_of(const std::string& ndjson) {
  std::vector<json> out;
  std::istringstream in(ndjson);
  for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
  return out;
}

TEST(UsageText, Bytes) {
  EXPECT_EQ(usage_bytes(0), "0 B");
  EXPECT_EQ(usage_bytes(999), "999 B");
  EXPECT_EQ(usage_bytes(1000), "1.00 kB");
  EXPECT_EQ(usage_bytes(999'994), "999.99 kB");
  EXPECT_EQ(usage_bytes(999'995), "1.00 MB");  // not "1000.00 kB"
  EXPECT_EQ(usage_bytes(1'200'000'000), "1.20 GB");
  EXPECT_EQ(usage_bytes(30'000'000'000), "30.00 GB");
  EXPECT_EQ(usage_bytes(UINT64_MAX), "18.45 EB");
  EXPECT_EQ(usage_local({2026, 3, 29, 3, 0, 0, 7200}), "2026-03-29 03:00 +02:00");
  EXPECT_EQ(usage_local({2026, 3, 8, 3, 0, 0, -4 * 3600}), "2026-03-08 03:00 -04:00");
  EXPECT_EQ(usage_local({2026, 1, 1, 0, 0, 0, 5 * 3600 + 1800}), "2026-01-01 00:00 +05:30");
}

TEST(UsageText, Status) {
  auto r = sample_usage_report();
  EXPECT_EQ(usage_status_text(r),
            "mobile: 24.69 GB of 30.00 GB (82.3 %), rx + tx\n"
            "  cycle    2026-11-15 00:00 +01:00 to 2026-12-15 00:00 +01:00 (Europe/Berlin)\n"
            "  traffic  rx 20.00 GB, tx 4.69 GB\n"
            "  budget   355.62 MB/day left for 15 days\n"
            "  warning  at this rate the cap is reached 2026-12-07 19:00 +01:00\n"
            "  alerts   80 % sent this cycle\n"
            "  source   wwan0: rx 20.00 GB, tx 4.69 GB\n"
            "  source   ppp0: rx 0 B, tx 0 B (no interface ppp0)\n");
  // Over the cap; a name with a control byte is shown escaped.
  auto& p = r.plans[0];
  p.name = "mob\nile";
  p.used = 31'000'000'000;
  p.count = model::UsageCount::rx;
  p.projected_local.reset();
  p.fired.clear();
  p.sources.resize(1);
  p.days_left = 1;
  EXPECT_EQ(usage_status_text(r),
            "mob\\x0aile: 31.00 GB of 30.00 GB (82.3 %), received (rx)\n"
            "  cycle    2026-11-15 00:00 +01:00 to 2026-12-15 00:00 +01:00 (Europe/Berlin)\n"
            "  traffic  rx 20.00 GB, tx 4.69 GB\n"
            "  budget   over the cap by 1.00 GB\n"
            "  source   wwan0: rx 20.00 GB, tx 4.69 GB\n");
}

TEST(UsageText, DaysAndCycles) {
  auto r = sample_usage_report();
  EXPECT_EQ(usage_days_text(r),
            " mobile (wwan0, ppp0)\n"
            "\n"
            "          day |          rx |          tx |       total |      avg. rate\n"
            " -------------+-------------+-------------+-------------+---------------\n"
            "   2026-11-28 |     1.50 GB |   250.00 MB |     1.75 GB |  162.04 kbit/s\n"
            "   2026-11-29 |     2.00 GB |   300.00 MB |     2.30 GB |  212.96 kbit/s\n"
            "   2026-11-30 |   864.00 MB |         0 B |   864.00 MB |  120.00 kbit/s\n");  // 16 h so far
  EXPECT_EQ(usage_months_text(r),
            " mobile (wwan0, ppp0)\n"
            "\n"
            "        cycle |          rx |          tx |       total |      avg. rate\n"
            " -------------+-------------+-------------+-------------+---------------\n"
            "   2026-10-15 |    25.00 GB |     5.00 GB |    30.00 GB |   89.49 kbit/s\n"
            "   2026-11-15 |    20.00 GB |     4.69 GB |    24.69 GB |  145.92 kbit/s\n");
  // A calendar-month cycle is shown as its month, as vnstat -m does; no rows says so.
  r.plans[0].cycles = {{1793487600, 1796079600, {2026, 11, 1, 0, 0, 0, 3600}, 0, 0}};
  EXPECT_NE(usage_months_text(r).find("      2026-11 |         0 B |"), std::string::npos) << usage_months_text(r);
  r.plans[0].days.clear();
  EXPECT_NE(usage_days_text(r).find(" no data yet\n"), std::string::npos);
}

TEST(UsageJson, PlanAndRows) {
  auto r = sample_usage_report();
  auto lines = lines_of(usage_json(r));
  ASSERT_EQ(lines.size(), 1u + 1 + 3 + 1 + 2);
  const json& p = lines[0];
  EXPECT_EQ(p["type"], "usage");
  EXPECT_EQ(p["version"], 1);
  EXPECT_EQ(p["time"], 1796050800.0);
  EXPECT_EQ(p["timestamp"], "2026-11-30T15:00:00.000000Z");
  EXPECT_EQ(p["plan"], "mobile");
  EXPECT_EQ(p["count"], "both");
  EXPECT_EQ(p["cap_bytes"], 30'000'000'000u);
  EXPECT_EQ(p["used_bytes"], 24'690'000'000u);
  EXPECT_EQ(p["percent"], 82.3);
  EXPECT_EQ(p["cycle_start"], 1794697200);
  EXPECT_EQ(p["cycle_start_local"], "2026-11-15T00:00:00+01:00");
  EXPECT_EQ(p["projected_exhaustion"], 1796666400);
  EXPECT_EQ(p["projected_exhaustion_local"], "2026-12-07T19:00:00+01:00");
  EXPECT_EQ(p["daily_budget_bytes"], 355'625'000u);
  EXPECT_EQ(p["days_left"], 15);
  EXPECT_EQ(p["fired"], json::array({80}));
  EXPECT_EQ(p["projected_fired"], true);
  ASSERT_EQ(p["sources"].size(), 2u);
  EXPECT_EQ(p["sources"][0]["rx_total_bytes"], 123'456'789'012u);
  EXPECT_FALSE(p["sources"][0].contains("problem"));
  EXPECT_EQ(p["sources"][1]["ok"], false);
  EXPECT_EQ(p["sources"][1]["problem"], "no interface ppp0");
  EXPECT_EQ(lines[1]["type"], "usage_hour");
  EXPECT_EQ(lines[2]["type"], "usage_day");
  EXPECT_EQ(lines[2]["start_local"], "2026-11-28T00:00:00+01:00");
  EXPECT_EQ(lines[2]["total_bytes"], 1'750'000'000u);
  EXPECT_EQ(lines[5]["type"], "usage_month");
  EXPECT_EQ(lines[6]["type"], "usage_cycle");
  EXPECT_EQ(lines[6]["start_local"], "2026-10-15T00:00:00+02:00");
  // No projection: the keys are absent, not null.
  r.plans[0].projected_exhaustion.reset();
  r.plans[0].projected_local.reset();
  auto again = lines_of(usage_json(r));
  EXPECT_FALSE(again[0].contains("projected_exhaustion"));
  EXPECT_FALSE(again[0].contains("projected_exhaustion_local"));
}

// Same keys in the same order with the same JSON types, recursively; arrays: every element of
// ours against the golden's first (when both have one).
void same_shape(const nlohmann::ordered_json& ours, const nlohmann::ordered_json& theirs, const std::string& path) {
  ASSERT_EQ(ours.type_name(), theirs.type_name()) << path;
  if (ours.is_object()) {
    std::vector<std::string> a, b;
    for (auto it = ours.begin(); it != ours.end(); ++it) a.push_back(it.key());
    for (auto it = theirs.begin(); it != theirs.end(); ++it) b.push_back(it.key());
    ASSERT_EQ(a, b) << path;
    for (const auto& k : a) same_shape(ours[k], theirs[k], path + "." + k);
  } else if (ours.is_array() && !theirs.empty()) {
    for (const auto& e : ours) same_shape(e, theirs[0], path + "[]");
  }
}

TEST(UsageJson, VnstatShapeMatchesVnstat210) {
  std::ifstream f(std::string(REACH_GOLDEN_DIR) + "/vnstat/vnstat-2.10.json");
  ASSERT_TRUE(f) << "golden file missing";
  // Ordered: the key order is compared too.
  nlohmann::ordered_json golden = nlohmann::ordered_json::parse(f);
  auto r = sample_usage_report();
  std::string text = usage_vnstat_json(r);
  ASSERT_EQ(text.back(), '\n');
  ASSERT_EQ(text.find('\n'), text.size() - 1);  // one line, as vnstat --json
  nlohmann::ordered_json ours = nlohmann::ordered_json::parse(text);
  same_shape(ours, golden, "");
  const auto& i = ours["interfaces"][0];
  EXPECT_EQ(ours["jsonversion"], "2");
  EXPECT_EQ(i["name"], "mobile");
  EXPECT_EQ(i["alias"], "wwan0, ppp0");
  EXPECT_EQ(i["traffic"]["total"]["rx"], 123'456'789'012u);
  EXPECT_EQ(i["traffic"]["day"].size(), 3u);
  EXPECT_EQ(i["traffic"]["top"][0]["date"]["day"], 29);  // the biggest day first
  EXPECT_EQ(i["traffic"]["month"][0]["date"]["month"], 11);
  EXPECT_EQ(i["traffic"]["year"][0]["rx"], 30'000'000'000u);
  EXPECT_EQ(i["updated"]["timestamp"], 1796050800);
  EXPECT_EQ(i["created"]["timestamp"], 1792015200);  // the oldest row
}

TEST(UsageMrtg, CountersUptimeName) {
  auto r = sample_usage_report();
  EXPECT_EQ(usage_mrtg(r.plans[0].sources[0], r.now), "123456789012\n23456789012\n3 days, 02:10:05\nwwan0\n");
  EXPECT_EQ(usage_mrtg(r.plans[0].sources[1], r.now), "UNKNOWN\nUNKNOWN\n00:00:00\nppp0\n");
  auto s = r.plans[0].sources[0];
  s.name = "a\nb";
  EXPECT_EQ(usage_mrtg(s, r.now).substr(usage_mrtg(s, r.now).rfind("\na") + 1), "a b\n");
}

TEST(UsageNagios, StatesAndPerfdata) {
  auto r = sample_usage_report();  // 82.3 %, one source down
  std::ostringstream out;
  EXPECT_EQ(write_usage_nagios(out, r, {80, 90}), 1);
  EXPECT_EQ(out.str(),
            "USAGE WARNING: mobile 82.3% of 30.00 GB (24.69 GB), 355.62 MB/day left for 15 days, ppp0: no interface "
            "ppp0 | 'mobile'=24690000000B;24000000000;27000000000;0;30000000000 'mobile_pct'=82.30%;80;90;0;100\n");
  auto& p = r.plans[0];
  EXPECT_EQ(usage_nagios_state(p, {std::nullopt, 82}), NagiosState::critical);
  EXPECT_EQ(usage_nagios_state(p, {90, 95}), NagiosState::unknown);  // under the thresholds, a source down
  p.sources.resize(1);
  EXPECT_EQ(usage_nagios_state(p, {90, 95}), NagiosState::ok);
  EXPECT_EQ(usage_nagios_state(p, {}), NagiosState::ok);
  // Exactly at the threshold counts (bytes, not rounded percent).
  p.used = 24'000'000'000;
  EXPECT_EQ(usage_nagios_state(p, {80, 90}), NagiosState::warning);
  p.used = 23'999'999'999;
  EXPECT_EQ(usage_nagios_state(p, {80, 90}), NagiosState::ok);
  // Several plans: the worst first, then a line per plan not OK; no thresholds: empty fields.
  auto two = sample_usage_report();
  two.plans[0].sources.resize(1);
  two.plans.push_back(two.plans[0]);
  two.plans[1].name = "home";
  two.plans[1].used = 1;
  two.plans[1].percent = 0;
  std::ostringstream o2;
  EXPECT_EQ(write_usage_nagios(o2, two, {std::nullopt, 80}), 2);
  std::string s = o2.str();
  EXPECT_EQ(s.substr(0, 24), "USAGE CRITICAL: mobile 8");
  EXPECT_NE(s.find("'home'=1B;;24000000000;0;30000000000 'home_pct'=0.00%;;80;0;100\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\nCRITICAL mobile 82.3%"), std::string::npos) << s;
  EXPECT_EQ(s.find("\nOK home"), std::string::npos) << s;
  // A cap of 2^64 - 1 at 1000 %: the byte thresholds stay at the top, not 0.
  auto huge = sample_usage_report();
  huge.plans.resize(1);
  huge.plans[0].sources.resize(1);
  huge.plans[0].cap = 18'446'744'073'709'551'615u;
  std::ostringstream o4;
  write_usage_nagios(o4, huge, {1000, 1000});
  EXPECT_NE(o4.str().find("B;18446744073709551615;18446744073709551615;0;18446744073709551615 "), std::string::npos)
      << o4.str();
  model::UsageReport none;
  std::ostringstream o3;
  EXPECT_EQ(write_usage_nagios(o3, none, {}), 3);
  EXPECT_EQ(o3.str(), "USAGE UNKNOWN: no plans\n");
}

TEST(UsagePrometheus, Series) {
  auto r = sample_usage_report();
  auto body = prom::render(usage_metric_families(r), prom::Format::text);
  ASSERT_TRUE(body) << body.error().message();
  for (const char* want : {
           "reach_usage_cycle_bytes{plan=\"mobile\",direction=\"rx\"} 2e+10\n",
           "reach_usage_used_bytes{plan=\"mobile\"} 2.469e+10\n",
           "reach_usage_cap_bytes{plan=\"mobile\"} 3e+10\n",
           "reach_usage_ratio{plan=\"mobile\"} 0.823\n",
           "reach_usage_cycle_end_timestamp_seconds{plan=\"mobile\"} 1.7972892e+09\n",
           "reach_usage_projected_exhaustion_timestamp_seconds{plan=\"mobile\"} 1.7966664e+09\n",
           "reach_usage_daily_budget_bytes{plan=\"mobile\"} 3.55625e+08\n",
           "reach_usage_threshold_fired{plan=\"mobile\",percent=\"80\"} 1\n",
           "reach_usage_threshold_fired{plan=\"mobile\",percent=\"90\"} 0\n",
           "# TYPE reach_usage_source_bytes_total counter\n",
           "reach_usage_source_bytes_total{plan=\"mobile\",source=\"if:mac:02:00:5e:10:00:0a\",name=\"wwan0\",direction=\"rx\"} 1.23456789012e+11\n",
           "reach_usage_source_up{plan=\"mobile\",source=\"if:name:ppp0\",name=\"ppp0\"} 0\n",
       })
    EXPECT_NE(body->find(want), std::string::npos) << want << "\n" << *body;
  // No projection: no sample, and with no plan at all no family.
  r.plans[0].projected_exhaustion.reset();
  body = prom::render(usage_metric_families(r), prom::Format::text);
  EXPECT_EQ(body->find("reach_usage_projected_exhaustion_timestamp_seconds"), std::string::npos);
  EXPECT_TRUE(usage_metric_families(model::UsageReport{}).empty());
  EXPECT_TRUE(prom::check(usage_metric_families(sample_usage_report())));
}

}  // namespace
}  // namespace reach::format
