// -V/--version on every command, as `reach --version` prints it: `reach relay --version` was
// refused while `reach guard --version` worked (guard's options fell through to the root's flag).
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/daemon_commands.hpp"
#include "base/version.hpp"

namespace reach::app {
namespace {

// parse() over `reach ARGS...` with the daemons' commands and one with a required argument;
// the exit code and what went to std::cout (where CLI11 prints the version).
std::pair<int, std::string> parse_args(std::vector<std::string> args) {
  CLI::App app;
  init_app(app);
  RelayCommand relay;
  relay.add_to(app);
  GuardCommand guard;
  guard.add_to(app);
  std::vector<std::string> targets;
  app.add_subcommand("ping")->add_option("targets", targets)->required();
  args.insert(args.begin(), "reach");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream printed, out;
  auto* old = std::cout.rdbuf(printed.rdbuf());
  const int code = parse(app, static_cast<int>(argv.size()), argv.data(), false, out);
  std::cout.rdbuf(old);
  return {code, printed.str()};
}

TEST(Cli, EveryCommandPrintsTheVersionAsReachDoes) {
  const std::string want = "reach " + std::string(kVersion) + "\n";
  EXPECT_EQ(parse_args({"--version"}), std::make_pair(0, want));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"relay", "--version"}, {"relay", "-V"}, {"guard", "--version"}, {"guard", "check", "--version"},
           {"ping", "--version"}, {"relay", "[::]:80", "--to", "198.18.1.2:80", "--version"}}) {
    EXPECT_EQ(parse_args(args), std::make_pair(0, want)) << args[0] << " " << args[1];
  }
  // Still an error where it is one: parse() says it on stderr, exit 2.
  EXPECT_EQ(parse_args({"relay", "--versions"}).first, 2);
}

}  // namespace
}  // namespace reach::app
