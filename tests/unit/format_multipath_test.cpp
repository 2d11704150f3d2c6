// Multipath writers: the text shape (interfaces under their hop, successors after an arrow, silent
// hops, gap links, names) and the NDJSON objects.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <vector>

#include "format/multipath_writer.hpp"

namespace reach::format {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

// A -> {B1, B2} -> (silent) -> D, B2 per-packet flagged for the text marker.
model::MultipathGraph sample() {
  model::MultipathGraph g;
  g.target = "dst.lab";
  g.destination = ip("198.18.9.2");
  g.alpha = 0.05;
  g.algorithm = "mda-lite";
  g.probes_sent = 37;
  g.stop = model::MpStop::destination;
  g.hops.push_back({1, {{ip("198.18.1.1"), false, {0, 1, 2}}}, 6, 6, 0, false, false});
  g.hops.push_back({2, {{ip("198.18.2.1"), false, {0, 2}}, {ip("198.18.2.5"), false, {1}}}, 13, 13, 0, true, false});
  g.hops.push_back({3, {}, 6, 0, 6, false, false});
  g.hops.push_back({4, {{ip("198.18.9.2"), true, {0, 1}}}, 6, 6, 0, false, false});
  g.links = {{1, ip("198.18.1.1"), 2, ip("198.18.2.1")},
             {1, ip("198.18.1.1"), 2, ip("198.18.2.5")},
             {2, ip("198.18.2.1"), 4, ip("198.18.9.2")},
             {2, ip("198.18.2.5"), 4, ip("198.18.9.2")}};
  return g;
}

TEST(MultipathText, HopsInterfacesAndLinks) {
  std::ostringstream out;
  const std::map<IpAddr, std::string> names{{ip("198.18.1.1"), "gw.lab"}};
  write_multipath_text(out, sample(), {&names});
  EXPECT_EQ(out.str(),
            "mda to 198.18.9.2, 95% confidence per hop (mda-lite), 37 probes, stopped at destination\n"
            " 1  gw.lab (198.18.1.1)  -> 198.18.2.1, 198.18.2.5\n"
            " 2  198.18.2.1  -> 198.18.9.2 (hop 4)  [per-packet]\n"
            "    198.18.2.5  -> 198.18.9.2 (hop 4)\n"
            " 3  *\n"
            " 4  198.18.9.2  [destination]\n");
}

TEST(MultipathJson, OneObjectPerHopAndLinkThenSummary) {
  std::ostringstream out;
  write_multipath_json(out, sample());
  std::istringstream in(out.str());
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 4u + 4u + 1u);
  for (const auto& j : lines) {
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["addr"], "198.18.9.2");
    EXPECT_EQ(j["target"], "dst.lab");
  }
  EXPECT_EQ(lines[1]["type"], "mda_hop");
  EXPECT_EQ(lines[1]["ttl"], 2);
  EXPECT_EQ(lines[1]["per_packet"], true);
  EXPECT_EQ(lines[1]["interfaces"].size(), 2u);
  EXPECT_EQ(lines[1]["interfaces"][0]["addr"], "198.18.2.1");
  EXPECT_EQ(lines[1]["interfaces"][0]["flows"], nlohmann::json::array({0, 2}));
  EXPECT_EQ(lines[2]["interfaces"].size(), 0u);
  EXPECT_EQ(lines[2]["timeouts"], 6);
  EXPECT_EQ(lines[3]["interfaces"][0]["destination"], true);
  EXPECT_EQ(lines[6]["type"], "mda_link");
  EXPECT_EQ(lines[6]["from"], "198.18.2.1");
  EXPECT_EQ(lines[6]["to_ttl"], 4);
  const auto& s = lines.back();
  EXPECT_EQ(s["type"], "mda_summary");
  EXPECT_EQ(s["probes"], 37);
  EXPECT_EQ(s["stop"], "destination");
  EXPECT_EQ(s["algorithm"], "mda-lite");
  EXPECT_DOUBLE_EQ(s["alpha"].get<double>(), 0.05);
  EXPECT_EQ(s["links"], 4);
}

}  // namespace
}  // namespace reach::format
