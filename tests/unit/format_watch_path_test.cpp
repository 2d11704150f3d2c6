// The `path` event and the /api/v1/targets/NAME/path body (docs/JSON.md, "reach watch").
#include "format/watch_path_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace reach::format {
namespace {

model::WatchPath path(std::vector<const char*> addrs, bool reached, model::TargetState s) {
  model::WatchPath p;
  p.wall = 1796032800LL * kNsPerSec;
  p.state = s;
  p.reached = reached;
  int ttl = 0;
  for (const char* a : addrs) p.hops.push_back({++ttl, a ? IpAddr::parse(a) : std::nullopt, {}});
  return p;
}

TEST(WatchPathJson, EventCarriesPathUpPathAndDiff) {
  auto up = path({"198.18.1.2", "198.18.2.2", "198.19.77.1"}, true, model::TargetState::up);
  auto now = path({"198.18.1.2", nullptr, "198.18.3.2"}, false, model::TargetState::down);
  std::vector<model::PathDiffHop> diff = {
      {1, IpAddr::parse("198.18.1.2"), IpAddr::parse("198.18.1.2"), model::HopChange::same, {}, {}},
      {2, IpAddr::parse("198.18.2.2"), std::nullopt, model::HopChange::unknown, {}, {}},
      {3, IpAddr::parse("198.19.77.1"), IpAddr::parse("198.18.3.2"), model::HopChange::changed, {}, {}},
  };
  std::string line = watch_path_event_json("web1", "down", now, &up, diff, "lab");
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["type"], "path");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["netns"], "lab");
  EXPECT_EQ(j["trigger"], "down");
  EXPECT_EQ(j["time"], 1796032800.0);
  EXPECT_EQ(j["path"]["state"], "down");
  EXPECT_EQ(j["path"]["reached"], false);
  EXPECT_TRUE(j["path"]["hops"][1]["addr"].is_null());
  EXPECT_EQ(j["up_path"]["hops"][2]["addr"], "198.19.77.1");
  EXPECT_EQ(j["diff"][1]["change"], "unknown");
  EXPECT_EQ(j["diff"][1]["changed"], false);
  EXPECT_TRUE(j["diff"][1]["after"].is_null());
  EXPECT_EQ(j["diff"][2]["before"], "198.19.77.1");
  EXPECT_EQ(j["diff"][2]["changed"], true);
  EXPECT_EQ(j["changed"], true);
}

TEST(WatchPathJson, NoUpPathYet) {
  auto now = path({"198.18.1.2"}, true, model::TargetState::up);
  auto j = nlohmann::json::parse(watch_path_event_json("web1", "start", now, nullptr, {}));
  EXPECT_TRUE(j["up_path"].is_null());
  EXPECT_FALSE(j.contains("netns"));
  EXPECT_EQ(j["changed"], false);
  EXPECT_TRUE(j["diff"].empty());
}

TEST(WatchPathJson, ApiBody) {
  auto up = path({"198.18.1.2"}, true, model::TargetState::up);
  auto j = nlohmann::json::parse(watch_path_api_json("web1", true, &up, nullptr, {}));
  EXPECT_EQ(j["target"], "web1");
  EXPECT_EQ(j["tracing"], true);
  EXPECT_TRUE(j["latest_path"].is_null());
  EXPECT_EQ(j["up_path"]["hops"][0]["ttl"], 1);
}

// How it was traced, and MDA's other interfaces of a hop only where there are some.
TEST(WatchPathJson, ProtocolPortMdaAndAlso) {
  auto p = path({"198.18.1.2", "198.18.2.2"}, true, model::TargetState::up);
  p.protocol = model::TraceMethod::tcp;
  p.port = 443;
  p.mda = true;
  p.hops[1].also = {*IpAddr::parse("198.18.3.2")};
  std::vector<model::PathDiffHop> diff = {{2, IpAddr::parse("198.18.2.2"), IpAddr::parse("198.18.2.2"),
                                           model::HopChange::changed, {}, {*IpAddr::parse("198.18.3.2")}}};
  auto j = nlohmann::json::parse(watch_path_event_json("web1", "api", p, &p, diff));
  EXPECT_EQ(j["path"]["protocol"], "tcp");
  EXPECT_EQ(j["path"]["port"], 443);
  EXPECT_EQ(j["path"]["mda"], true);
  EXPECT_FALSE(j["path"]["hops"][0].contains("also"));
  EXPECT_EQ(j["path"]["hops"][1]["also"], nlohmann::json::array({"198.18.3.2"}));
  EXPECT_FALSE(j["diff"][0].contains("before_also"));
  EXPECT_EQ(j["diff"][0]["after_also"], nlohmann::json::array({"198.18.3.2"}));
  auto icmp = nlohmann::json::parse(watch_path_event_json("web1", "api", path({"198.18.1.2"}, true, model::TargetState::up), nullptr, {}));
  EXPECT_EQ(icmp["path"]["protocol"], "icmp");
  EXPECT_FALSE(icmp["path"].contains("port"));
  EXPECT_EQ(icmp["path"]["mda"], false);
}

}  // namespace
}  // namespace reach::format
