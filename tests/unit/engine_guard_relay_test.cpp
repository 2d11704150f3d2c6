// guard's `relay` rule: which lines of `reach relay --json` yield an address, and that it is only
// ever a relay_limit event's own top-level "client" — never an address written in another field,
// a nested object, a second "client" key, or a line that only looks like JSON.
#include <gtest/gtest.h>

#include <string>

#include "engine/guard_relay.hpp"
#include "engine/guard_rules.hpp"

namespace reach::engine {
namespace {

struct Case {
  const char* line;
  RelayLine kind;
  const char* client;  // limit only
  std::uint64_t count;
};

const Case kCases[] = {
    // As the relay writes them (tools/relay/defence.cpp, keys sorted by nlohmann).
    {R"({"client":"198.18.1.5","count":12,"message":"198.18.1.5 refused 12x: per_prefix_rate of 198.18.1.5/32","prefix":"198.18.1.5/32","reason":"per_prefix_rate","time":"2026-12-01T05:00:00.000000Z","type":"relay_limit","version":1})",
     RelayLine::limit, "198.18.1.5", 12},
    {R"({"type":"relay_limit","version":1,"client":"2001:db8:f1::9","prefix":"2001:db8:f1::/64","reason":"per_prefix_conns","count":1})",
     RelayLine::limit, "2001:db8:f1::9", 1},
    {R"({"type":"relay_limit","version":1,"client":"::ffff:198.18.1.6","reason":"per_prefix_rate","count":3})",
     RelayLine::limit, "198.18.1.6", 3},
    {"{\"type\":\"relay_limit\",\"version\":1,\"client\":\"198.18.1.7\",\"reason\":\"per_prefix_rate\",\"count\":2}\r",
     RelayLine::limit, "198.18.1.7", 2},
    // Other relay events: recognised, no address.
    {R"({"type":"relay_start","version":1,"message":"listening"})", RelayLine::other, nullptr, 0},
    {R"({"type":"relay_ban","version":1,"prefix":"198.18.1.0/24","ban_s":600,"kernel":true})", RelayLine::other, nullptr,
     0},
    {R"({"type":"relay_backend","version":1,"reason":"connection refused","client":"198.18.9.9"})", RelayLine::other,
     nullptr, 0},
    {R"({"version":1,"client":"198.18.9.9"})", RelayLine::other, nullptr, 0},
    {R"({"type":1,"client":"198.18.9.9"})", RelayLine::other, nullptr, 0},
    // A relay_limit event spelled in another field (a backend's error text) is only text.
    {R"({"type":"relay_error","version":1,"message":"{\"type\":\"relay_limit\",\"version\":1,\"client\":\"198.18.9.9\",\"reason\":\"per_prefix_rate\",\"count\":9}"})",
     RelayLine::other, nullptr, 0},
    {R"({"type":"relay_backend","nested":{"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":9}})",
     RelayLine::other, nullptr, 0},
    // Reasons that are nobody's own limit, or unknown.
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"global_conns","count":9})", RelayLine::forged,
     nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"banned","count":9})", RelayLine::forged,
     nullptr, 0},
    // Forged or malformed limit events.
    {R"({"type":"relay_limit","version":1,"client":"198.18.1.5","client":"198.18.9.9","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_start","type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9 ","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"host.example","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"fe80::1%eth0","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.999","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":["198.18.9.9"],"reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":0})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":-4})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":"5"})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate"})", RelayLine::forged,
     nullptr, 0},
    {R"({"type":"relay_limit","version":2,"client":"198.18.9.9","reason":"per_prefix_rate","count":1})",
     RelayLine::forged, nullptr, 0},
    {R"({"type":"relay_limit","client":"198.18.9.9","reason":"per_prefix_rate","count":1})", RelayLine::forged, nullptr,
     0},
    // Not JSON objects.
    {"", RelayLine::not_json, nullptr, 0},
    {"Nov 30 21:00:01 h sshd[1]: Invalid user a from 198.18.9.9 port 1", RelayLine::not_json, nullptr, 0},
    {R"(["relay_limit","198.18.9.9"])", RelayLine::not_json, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":1)",
     RelayLine::not_json, nullptr, 0},
    {R"({"type":"relay_limit","version":1,"client":"198.18.9.9","reason":"per_prefix_rate","count":1} {"x":1})",
     RelayLine::not_json, nullptr, 0},
    {"{\"type\":\"relay_limit\",\"client\":\"\xff\xfe\"}", RelayLine::not_json, nullptr, 0},
    {" {\"type\":\"relay_limit\"}", RelayLine::not_json, nullptr, 0},
};

TEST(GuardRelay, OnlyALimitEventsOwnClientIsTaken) {
  for (const auto& c : kCases) {
    std::string_view line = c.line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // as GuardRules::match does
    const RelayEvent e = read_relay_event(line);
    EXPECT_EQ(static_cast<int>(e.kind), static_cast<int>(c.kind)) << c.line;
    if (c.kind != RelayLine::limit || e.kind != RelayLine::limit) continue;
    EXPECT_EQ(e.client.to_string(), c.client) << c.line;
    EXPECT_EQ(e.count, c.count) << c.line;
  }
}

TEST(GuardRelay, TheRuleMatchesInFilesSyslogAndJournal) {
  const auto rules = GuardRules::builtin();
  const int relay = rules.find("relay");
  ASSERT_GE(relay, 0);
  const std::string ev = R"({"type":"relay_limit","version":1,"client":"198.18.1.5","reason":"per_prefix_rate","count":250})";
  for (const std::string& line : {ev, "Dec  1 05:00:00 host reach[42]: " + ev}) {
    auto m = rules.match(line, {relay});
    ASSERT_TRUE(m) << line;
    EXPECT_EQ(m->rule, "relay");
    EXPECT_EQ(m->form, "limit");
    EXPECT_EQ(m->addr.to_string(), "198.18.1.5");
    EXPECT_EQ(m->weight, 100);  // 250 refusals count as the most one line may: 100
  }
  auto m = rules.match(ev, {relay}, "reach");  // a journal MESSAGE, identifier apart
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addr.to_string(), "198.18.1.5");
  bool unparsed = false;
  EXPECT_FALSE(rules.match("not json", {relay}, {}, &unparsed));
  EXPECT_TRUE(unparsed);
  unparsed = false;
  EXPECT_FALSE(rules.match(R"({"type":"relay_start","version":1})", {relay}, {}, &unparsed));
  EXPECT_FALSE(unparsed);  // a relay event of another type is not an error
  // The sshd rule never takes a relay line, nor the relay rule an sshd line.
  EXPECT_FALSE(rules.match(ev, {rules.find("sshd")}));
  EXPECT_FALSE(rules.match("Nov 30 21:00:01 h sshd[1]: Invalid user a from 198.18.9.9 port 1", {relay}));
}

TEST(GuardRelay, TestRuleCountsRefusedLines) {
  const auto rules = GuardRules::builtin();
  const std::string log =
      R"({"type":"relay_defence","version":1,"message":"SYN cookies on"})" "\n"
      R"({"type":"relay_limit","version":1,"client":"198.18.1.5","reason":"per_prefix_rate","count":4})" "\n"
      "garbage \x1b[31m\n"
      R"({"type":"relay_limit","version":1,"client":"198.18.1.5","client":"198.18.0.1","reason":"per_prefix_rate","count":4})" "\n"
      R"({"type":"relay_limit","version":1,"client":"2001:db8::5","reason":"per_prefix_conns","count":1})";
  auto rep = test_rules(rules, log, {rules.find("relay")});
  EXPECT_EQ(rep.lines, 5u);
  EXPECT_EQ(rep.matched, 2u);
  EXPECT_EQ(rep.unparsed, 2u);
  EXPECT_EQ(rep.missed, (std::vector<std::size_t>{1, 3, 4}));
  ASSERT_EQ(rep.hits.size(), 2u);
  EXPECT_EQ(rep.hits[0].match.weight, 4);
  EXPECT_EQ(rep.hits[1].match.addr.to_string(), "2001:db8::5");
}

TEST(GuardRelay, WeightIsTheCountUpTo100) {
  EXPECT_EQ(relay_event_weight(1), 1);
  EXPECT_EQ(relay_event_weight(100), 100);
  EXPECT_EQ(relay_event_weight(std::uint64_t{1} << 40), 100);
}

}  // namespace
}  // namespace reach::engine
