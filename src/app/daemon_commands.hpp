#pragma once
// The commands that run as long-lived daemons, `reach relay` and `reach guard`: their options
// are declared here once, for `reach` and for their lean images (relay_main.cpp, guard_main.cpp).
#include <CLI/CLI.hpp>

#include <ostream>

#include "app/cli.hpp"
#include "tools/guard/guard.hpp"
#include "tools/relay/relay.hpp"

namespace reach::app {

struct RelayCommand {
  tools::RelayOptions opts;
  NetnsOption netns;
  CLI::App* sub = nullptr;
  void add_to(CLI::App& app);
  int run(std::ostream& out);  // after sub->parsed()
};

struct GuardCommand {
  tools::GuardOptions opts;
  NetnsOption netns;
  CLI::App* sub = nullptr;
  void add_to(CLI::App& app);
  int run(std::ostream& out);  // after sub->parsed()
};

}  // namespace reach::app
