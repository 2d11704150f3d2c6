#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "format/dashboard.hpp"
#include "format/sparkline.hpp"

namespace reach::format {
namespace {

constexpr TimeNs kNow = 1796032800LL * kNsPerSec;  // 2026-11-30T10:00:00Z
constexpr TimeNs kHourNs = 3600 * kNsPerSec;
const std::string kHostile = "<script>alert('x')</script>\"&";

DashRow row(std::string name, std::string state, std::optional<TimeNs> median, double loss) {
  return DashRow{std::move(name), "icmp", std::move(state), kNow - 60 * kNsPerSec, median, loss, "▁▂", ""};
}

TEST(Dashboard, HtmlEscapeCoversTextAndAttributes) {
  struct Case {
    std::string in, out;
  } cases[] = {{"web1", "web1"},
               {"a&b", "a&amp;b"},
               {"<b>", "&lt;b&gt;"},
               {"\"x\"", "&quot;x&quot;"},
               {"it's", "it&#39;s"},
               {"", ""},
               {"é ▁", "é ▁"}};  // UTF-8 passes through
  for (const auto& c : cases) EXPECT_EQ(html_escape(c.in), c.out) << c.in;
  EXPECT_EQ(url_segment("web 1/<x>"), "web%201%2F%3Cx%3E");
  EXPECT_EQ(url_segment("a-b_c.d~e:9"), "a-b_c.d~e%3A9");
}

TEST(Dashboard, EveryConfigStringIsEscapedOnThePages) {
  DashRow r = row(kHostile, "down", std::nullopt, 1);
  r.reason = "\"><img src=x onerror=alert(1)>";
  r.probe = "<i>";
  for (const std::string& page : {dashboard_overview_html({r}, kHostile, "name", false), dashboard_target_html(r)}) {
    EXPECT_EQ(page.find("<script>alert"), std::string::npos) << page;
    EXPECT_EQ(page.find("<img"), std::string::npos) << page;
    EXPECT_EQ(page.find("<i>"), std::string::npos) << page;
    EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"), std::string::npos) << page;
    EXPECT_EQ(page.find("<script>"), std::string::npos) << "no inline script: the CSP forbids it";
    EXPECT_EQ(page.find("style="), std::string::npos) << "no inline style: the CSP forbids it";
  }
  const std::string overview = dashboard_overview_html({r}, "", "name", false);
  EXPECT_NE(overview.find("href=\"/targets/%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E%22%26\""), std::string::npos);
  EXPECT_NE(overview.find("<tr class=\"state-down\""), std::string::npos);
  // JSON carries the name as data, unescaped: the page's script sets it as textContent.
  auto j = nlohmann::json::parse(dashboard_rows_json({r}));
  EXPECT_EQ(j["targets"][0]["name"], kHostile);
  EXPECT_FALSE(j["targets"][0].contains("median_rtt_seconds"));
}

TEST(Dashboard, TheOverviewIsCompleteWithoutJavaScript) {
  std::vector<DashRow> rows = {row("b", "up", 2 * kNsPerMs, 0), row("a", "down", std::nullopt, 1)};
  const std::string h = dashboard_overview_html(rows, "", "loss", true);
  for (const char* want : {"<td class=\"state\">down</td>", "<td class=\"state\">up</td>", "2.000 ms", "100.0 %",
                           "2026-11-30 09:59:00Z", "th data-key=\"loss\" aria-sort=\"descending\"",
                           "href=\"/?sort=loss&amp;q=\""})
    EXPECT_NE(h.find(want), std::string::npos) << want;
  EXPECT_LT(h.find("data-name=\"b\""), h.find("data-name=\"a\"")) << "rows in the order given";
}

TEST(Dashboard, SelectFiltersAndSortsAsTheScriptDoes) {
  std::vector<DashRow> rows = {row("web2", "up", 5 * kNsPerMs, 0.1), row("Web1", "down", std::nullopt, 1),
                               row("db", "unknown", kNsPerMs, 0), row("web3", "up", 3 * kNsPerMs, 0)};
  auto names = [](const std::vector<DashRow>& v) {
    std::vector<std::string> n;
    for (const auto& r : v) n.push_back(r.name);
    return n;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(dashboard_select(rows, "", "name", false)), (V{"Web1", "db", "web2", "web3"}));
  EXPECT_EQ(names(dashboard_select(rows, "WEB", "name", true)), (V{"web3", "web2", "Web1"}));
  EXPECT_EQ(names(dashboard_select(rows, "", "state", false)), (V{"Web1", "db", "web2", "web3"}));
  EXPECT_EQ(names(dashboard_select(rows, "", "median", false)), (V{"db", "web3", "web2", "Web1"}));
  EXPECT_EQ(names(dashboard_select(rows, "", "loss", true)), (V{"Web1", "web2", "web3", "db"}));
  EXPECT_EQ(names(dashboard_select(rows, "", "nonsense", false)), (V{"Web1", "db", "web2", "web3"}));
  EXPECT_TRUE(dashboard_select(rows, "nothing", "name", false).empty());
}

TEST(Dashboard, WindowsOfTheFourRangesAndOfAZoom) {
  struct Case {
    std::string_view range;
    TimeNs span;
  } cases[] = {{"3h", 3 * kHourNs}, {"30h", 30 * kHourNs}, {"10d", 240 * kHourNs}, {"360d", 8640 * kHourNs}};
  ASSERT_EQ(dashboard_ranges().size(), 4u);
  for (const auto& c : cases) {
    auto w = dashboard_window(c.range, std::nullopt, std::nullopt, kNow);
    ASSERT_TRUE(w) << c.range;
    EXPECT_EQ(w->to, kNow);
    EXPECT_EQ(w->to - w->from, c.span) << c.range;
    EXPECT_EQ(w->points, kDashPoints);
  }
  auto zoom = dashboard_window("30h", kNow - 2 * kHourNs, kNow - kHourNs, kNow);
  ASSERT_TRUE(zoom);
  EXPECT_EQ(zoom->from, kNow - 2 * kHourNs);
  EXPECT_EQ(zoom->to, kNow - kHourNs);
  auto narrow = dashboard_window("3h", kNow - 10 * kNsPerSec, kNow, kNow);  // widened to a minute
  ASSERT_TRUE(narrow);
  EXPECT_EQ(narrow->to - narrow->from, 60 * kNsPerSec);
  EXPECT_EQ(narrow->from + 30 * kNsPerSec, kNow - 5 * kNsPerSec);
  auto future = dashboard_window("3h", std::nullopt, kNow + 10 * kHourNs, kNow);
  ASSERT_TRUE(future);
  EXPECT_EQ(future->to, kNow + 60 * kNsPerSec);
  // The error's op is the parameter the API names in its 400 answer.
  auto unknown = dashboard_window("7h", std::nullopt, std::nullopt, kNow);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().op, "range");
  auto back = dashboard_window("3h", kNow, kNow - kHourNs, kNow);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().op, "from");
  EXPECT_NE(back.error().message().find("must be before to"), std::string::npos);
}

TEST(Dashboard, LossColoursAreSmokePings) {
  struct Case {
    double loss;
    std::string_view colour;
  } cases[] = {{0, "#26ff00"},      {0.01, "#00b8ff"},  {0.05, "#00b8ff"}, {0.1, "#0059ff"}, {0.15, "#5e00ff"},
               {0.2, "#7e00ff"},    {0.45, "#7e00ff"},  {0.5, "#dd00ff"},  {0.9, "#dd00ff"}, {0.95, "#ff0000"},
               {1, "#ff0000"}};
  for (const auto& c : cases) EXPECT_EQ(loss_colour(c.loss), c.colour) << c.loss;
}

TEST(Dashboard, SeriesCarriesSmokeMedianLossAndTheTargetsEventsInTheWindow) {
  DashWindow w{kNow - kHourNs, kNow, 400};
  std::vector<SeriesPoint> pts(2);
  pts[0] = {kNow - 600 * kNsPerSec, "1m", 6, 6, 30, 27, 2 * kNsPerMs, {}};
  for (std::size_t i = 0; i < std::size(kSmokeQuantiles); ++i) pts[0].smoke.push_back((1 + static_cast<TimeNs>(i)) * kNsPerMs);
  pts[1] = {kNow - 540 * kNsPerSec, "1m", 6, 0, 30, 0, std::nullopt, {}};
  std::vector<model::WatchEvent> evs(4);
  evs[0] = {model::WatchEvent::Kind::state_change, kNow - 500 * kNsPerSec, "web1", "", model::TargetState::up,
            model::TargetState::down, "timed out", 0};
  evs[1] = evs[0];
  evs[1].target = "other";
  evs[2] = evs[0];
  evs[2].wall = kNow - 2 * kHourNs;  // before the window
  evs[3] = evs[0];
  evs[3].kind = model::WatchEvent::Kind::firing;
  evs[3].alert = "down";
  auto j = nlohmann::json::parse(dashboard_series_json("web1", "3h", w, pts, evs));
  EXPECT_EQ(j["target"], "web1");
  EXPECT_DOUBLE_EQ(j["from"].get<double>(), 1796029200.0);
  ASSERT_EQ(j["points"].size(), 2u);
  const auto& p0 = j["points"][0];
  EXPECT_DOUBLE_EQ(p0["loss"].get<double>(), 0.1);
  EXPECT_EQ(p0["colour"], "#0059ff");
  EXPECT_DOUBLE_EQ(p0["median"].get<double>(), 0.002);
  ASSERT_EQ(p0["smoke"].size(), std::size(kSmokeQuantiles));
  EXPECT_DOUBLE_EQ(p0["smoke"][12].get<double>(), 0.013);
  const auto& p1 = j["points"][1];
  EXPECT_FALSE(p1.contains("median"));
  EXPECT_FALSE(p1.contains("smoke"));
  EXPECT_EQ(p1["colour"], "#ff0000");
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["to"], "down");
  EXPECT_EQ(j["events"][0]["reason"], "timed out");
  EXPECT_EQ(j["events"][1]["type"], "firing");
  EXPECT_EQ(j["events"][1]["alert"], "down");
}

TEST(Dashboard, SparklineScalesToItsWindow) {
  EXPECT_EQ(sparkline({kNsPerMs, std::nullopt, 8 * kNsPerMs}, 30), "▂.█");
  EXPECT_EQ(sparkline({kNsPerMs, 2 * kNsPerMs, 4 * kNsPerMs}, 2), "▅█");
  EXPECT_EQ(sparkline({}, 30), "");
}

}  // namespace
}  // namespace reach::format
