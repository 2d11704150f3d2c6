// One reach config file holds every daemon's sections: each parser reads its own and accepts the
// others', so a file that watch, usage, guard and relay share parses for all four.
#include <gtest/gtest.h>

#include "config/guard_config.hpp"
#include "config/relay_config.hpp"
#include "config/usage_config.hpp"
#include "config/watch_config.hpp"

namespace reach::config {
namespace {

const char* kShared = R"(db: /var/lib/reach/reach.db
listen: "127.0.0.1:9470"
peers: { urls: ["http://198.18.0.2:9470"] }
targets:
  - { name: web, probe: tcp, host: 198.18.1.2, port: 80 }
notifiers:
  hook: { webhook: "http://127.0.0.1:9099/hook" }
usage:
  plans:
    - { name: mobile, interfaces: [wwan0], cap: 30GB, notify: [hook] }
guard:
  sources: [ { file: /var/log/auth.log, rules: [sshd] } ]
relay:
  listen: ["[::]:8080"]
  backends: [198.18.1.2:80]
)";

TEST(ConfigSections, OneFileServesEveryDaemon) {
  auto w = parse_watch_config(kShared, "reach.yml");
  EXPECT_TRUE(w) << (w ? "" : w.error().message());  // watch prints its errors one per line
  auto u = parse_usage_config(kShared, "reach.yml");
  EXPECT_TRUE(u) << (u ? "" : u.error().message());
  auto g = parse_guard_config(kShared, "reach.yml");
  EXPECT_TRUE(g) << (g ? "" : g.error().message());
  auto r = parse_relay_config(kShared, "reach.yml");
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
}

TEST(ConfigSections, AnUnknownTopLevelKeyIsRefusedByEveryParser) {
  const std::string text = std::string(kShared) + "gaurd: {}\n";
  for (auto msg : {parse_watch_config(text, "reach.yml").error().message(),
                   parse_usage_config(text, "reach.yml").error().message(),
                   parse_guard_config(text, "reach.yml").error().message(),
                   parse_relay_config(text, "reach.yml").error().message()})
    EXPECT_NE(msg.find("gaurd"), std::string::npos) << msg;
}

TEST(ConfigSections, NotAMapNamesTheExpectedKeys) {
  auto r = parse_relay_config("- a\n- b\n", "reach.yml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("must be a map of keys (relay:"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace reach::config
