// tools::relay::build_config: every problem of the file and the flags at once, each naming its
// file:line and key (or its flag) and the value, as `reach relay --validate` prints them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tools/relay/server.hpp"

namespace reach::tools::relay {
namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/reach-relay-options-XXXXXX";
    const int fd = mkstemp(name);
    path = name;
    std::ofstream(path) << text;
    ::close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
};

std::vector<std::string> problems(const RelayOptions& o) {
  auto c = build_config(o);
  std::vector<std::string> out;
  if (!c)
    for (const auto& e : c.error().items) out.push_back(e.text());
  return out;
}

TEST(RelayOptions, EveryFileErrorWithItsLine) {
  TempFile f(
      "user: reach-no-such-user-x\n"            // 1
      "relay:\n"                                // 2
      "  listen:\n"                             // 3
      "    - \"198.18.0.1:\"\n"                 // 4
      "    - \"[::]:8080\"\n"                   // 5
      "    - \"localhost:80\"\n"                // 6
      "  backends:\n"                           // 7
      "    - \"198.18.1.2\"\n"                  // 8
      "    - \"[::1]:8080\"\n"                  // 9
      "  metrics: \"198.18.0.1\"\n"             // 10
      "  limits: { max_conns: 0 }\n");          // 11
  RelayOptions o;
  o.config = f.path;
  const auto p = problems(o);
  const std::string F = f.path;
  const std::vector<std::string> want = {
      F + ":1: user: user \"reach-no-such-user-x\": no such user",
      F + ":4: relay.listen[0]: listen address \"198.18.0.1:\": no port after ':' (write ADDRESS:PORT, "
          "[IPv6]:PORT or :PORT, e.g. 0.0.0.0:80, [::]:80, :80)",
      F + ":6: relay.listen[2]: listen address \"localhost:80\": not a numeric IP address (host names are not resolved)",
      F + ":8: relay.backends[0]: address 198.18.1.2: no port (write host:port or [IPv6]:port)",
      F + ":9: relay.backends: [::1]:8080 is the relay's own listen address [::]:8080: it would connect to itself",
      F + ":10: relay.metrics: listen address \"198.18.0.1\": no port (write ADDRESS:PORT, [IPv6]:PORT or :PORT, "
          "e.g. 0.0.0.0:80, [::]:80, :80)",
      F + ":11: relay.limits.max_conns: must be a whole number from 1 to 10000000, not '0'",
  };
  EXPECT_EQ(p, want);
}

// A reload of `listen: []` said "command line: relay.listen: ..." without the file's line.
TEST(RelayOptions, EmptyListsInTheFileNameTheFileAndLine) {
  TempFile f("relay:\n  listen: []\n  backends:\n");
  RelayOptions o;
  o.config = f.path;
  EXPECT_EQ(problems(o), (std::vector<std::string>{f.path + ":2: relay.listen: needs at least one listen address",
                                                   f.path + ":3: relay.backends: needs at least one backend"}));
  // The flags do not stand in for the file's empty list: --validate of the file alone fails alike.
  o.listen = {"[::]:8080"};
  o.to = {"198.18.1.2:80"};
  const auto p = problems(o);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].rfind(f.path + ":2: ", 0), 0u) << p[0];
}

TEST(RelayOptions, NothingToListenOnFromTheFlags) {
  RelayOptions o;
  o.to = {"198.18.1.2:80"};
  EXPECT_EQ(problems(o), (std::vector<std::string>{
                             "command line: LISTEN: needs at least one listen address (LISTEN... or relay.listen)"}));
}

// `--to X --to X` gave two /metrics series with one label set (Prometheus drops the scrape).
TEST(RelayOptions, DuplicatesAreRefused) {
  RelayOptions o;
  o.listen = {"[::]:8080", "[0::0]:8080", "0.0.0.0:8080"};
  o.to = {"198.18.2.2:80", "198.18.2.3:80", "[::ffff:198.18.2.2]:80", "198.18.2.2:81"};
  EXPECT_EQ(problems(o), (std::vector<std::string>{
                             "command line: LISTEN: [::]:8080 is given twice: list each listen address once",
                             "command line: --to: [::ffff:198.18.2.2]:80 is given twice: list each backend once"}));
  TempFile f(
      "relay:\n"
      "  listen: [\"[::]:8080\", \"[::]:8080\"]\n"
      "  backends:\n"
      "    - 198.18.2.2:80\n"
      "    - { address: 198.18.2.2:80, send_proxy: v1 }\n");
  RelayOptions from_file;
  from_file.config = f.path;
  EXPECT_EQ(problems(from_file),
            (std::vector<std::string>{f.path + ":2: relay.listen[1]: [::]:8080 is given twice: list each listen address once",
                                      f.path + ":5: relay.backends: 198.18.2.2:80 is given twice: list each backend once"}));
}

// A duration that is no timeout and a prefix with host bits set said "is not a duration" and
// "is not a prefix"; each names the flag, the value and what is wrong with it.
TEST(RelayOptions, WhatIsWrongWithAValue) {
  RelayOptions o;
  o.listen = {"[::]:8080"};
  o.to = {"198.18.1.2:80"};
  o.idle_timeout = "0s";
  o.connect_timeout = "-1s";
  o.head_timeout = "1.5s";
  o.trusted = {"198.18.0.1/24"};
  o.accept_proxy = {"198.18.0.0/33"};
  o.balance = "random";
  EXPECT_EQ(problems(o), (std::vector<std::string>{
                             "command line: --balance: \"random\" must be roundrobin or leastconn",
                             "command line: --accept-proxy: \"198.18.0.0/33\": the length after '/' must be 0 to 32",
                             "command line: --trusted: \"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24",
                             "command line: --connect-timeout: \"-1s\" must be more than 0 (like 5s or 500ms)",
                             "command line: --idle-timeout: \"0s\" must be more than 0 (like 5s or 500ms)",
                             "command line: --head-timeout: \"1.5s\" is not a duration like 5s or 500ms",
                         }));
}

TEST(RelayOptions, EveryFlagErrorNamesTheFlagAndTheValue) {
  RelayOptions o;
  o.listen = {"198.18.0.1:80", "[::1]"};
  o.to = {"198.18.1.2:", "198.18.0.1:80"};
  o.metrics = "127.0.0.1";
  o.user = "reach-no-such-user-x";
  o.send_proxy = "v3";
  o.idle_timeout = "soon";
  const auto p = problems(o);
  const std::vector<std::string> want = {
      "command line: --to: address 198.18.1.2:: no port after ':' (write host:port or [IPv6]:port)",
      "command line: --send-proxy: \"v3\" must be v1, v2 or none",
      "command line: --idle-timeout: \"soon\" is not a duration like 5s or 500ms",
      "command line: LISTEN: listen address \"[::1]\": no port (write ADDRESS:PORT, [IPv6]:PORT or :PORT, e.g. "
      "0.0.0.0:80, [::]:80, :80)",
      "command line: --metrics: listen address \"127.0.0.1\": no port (write ADDRESS:PORT, [IPv6]:PORT or :PORT, "
      "e.g. 0.0.0.0:80, [::]:80, :80)",
      "command line: --user: user \"reach-no-such-user-x\": no such user",
      "command line: --to: 198.18.0.1:80 is the relay's own listen address 198.18.0.1:80: it would connect to itself",
  };
  EXPECT_EQ(p, want);
}

// Loops through a wildcard: the unspecified address and loopback are the relay's own; another
// family's wildcard or another port is not a loop.
TEST(RelayOptions, LoopsThroughAWildcard) {
  const struct {
    const char* listen;
    const char* to;
    bool loop;
  } cases[] = {
      {":80", "127.0.0.1:80", true},     {":80", "[::1]:80", true},         {"0.0.0.0:80", "0.0.0.0:80", true},
      {"0.0.0.0:80", "127.0.0.2:80", true}, {"[::]:80", "127.0.0.1:80", false}, {":80", "127.0.0.1:81", false},
      {"198.18.0.1:80", "198.18.0.2:80", false},
  };
  for (const auto& c : cases) {
    RelayOptions o;
    o.listen = {c.listen};
    o.to = {c.to};
    const auto p = problems(o);
    EXPECT_EQ(!p.empty(), c.loop) << c.listen << " -> " << c.to;
    if (!p.empty()) {
      EXPECT_TRUE(p[0].find("connect to itself") != std::string::npos ||
                  p[0].find("reaches this host") != std::string::npos)
          << p[0];
    }
  }
}

// A new-user test relayed [::1]:P to [::]:P: one client became 100 relay connections. A backend
// of 0.0.0.0 or :: is this host whatever the listen address or port.
TEST(RelayOptions, UnspecifiedBackendIsAlwaysAnError) {
  const struct {
    const char* listen;
    const char* to;
  } cases[] = {{"[::1]:18086", "[::]:18086"}, {"127.0.0.1:9", "0.0.0.0:9"}, {"198.18.0.1:80", "0.0.0.0:81"},
               {"[2001:db8::1]:80", "[::ffff:0.0.0.0]:80"}};
  for (const auto& c : cases) {
    RelayOptions o;
    o.listen = {c.listen};
    o.to = {c.to};
    const auto p = problems(o);
    ASSERT_EQ(p.size(), 1u) << c.listen << " -> " << c.to;
    EXPECT_NE(p[0].find("--to: "), std::string::npos) << p[0];
    EXPECT_NE(p[0].find("is the unspecified address: connecting to it reaches this host"), std::string::npos) << p[0];
  }
}

// --metrics on a listen address's port passed --validate and then failed at start (EADDRINUSE).
TEST(RelayOptions, MetricsNeedsAPortOfItsOwn) {
  const struct {
    const char* listen;
    const char* metrics;
    bool clash;
  } cases[] = {
      {"[::]:8080", "[::]:8080", true},        {"[::]:8080", "[::1]:8080", true},
      {":8080", "127.0.0.1:8080", true},       {"0.0.0.0:8080", "127.0.0.1:8080", true},
      {"198.18.0.1:8080", "198.18.0.1:8080", true}, {"[::]:8080", "127.0.0.1:8080", false},
      {"198.18.0.1:8080", "127.0.0.1:8080", false}, {"[::]:8080", "[::1]:9100", false},
  };
  for (const auto& c : cases) {
    RelayOptions o;
    o.listen = {c.listen};
    o.to = {"198.18.1.2:80"};
    o.metrics = c.metrics;
    const auto p = problems(o);
    ASSERT_EQ(p.size(), c.clash ? 1u : 0u) << c.listen << " / " << c.metrics;
    if (c.clash) {
      EXPECT_NE(p[0].find("--metrics: "), std::string::npos) << p[0];
      EXPECT_NE(p[0].find("/metrics needs a port of its own"), std::string::npos) << p[0];
    }
  }
}

}  // namespace
}  // namespace reach::tools::relay
