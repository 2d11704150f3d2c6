#pragma once
// The commands that run as long-lived daemons, `reach relay` and `reach guard`: their options
// are declared here once, for `reach` and for their lean images (relay_main.cpp, guard_main.cpp).
#include <CLI/CLI.hpp>

#include <ostream>

#include "app/cli.hpp"
#include "tools/guard/guard.hpp"
#include "tools/relay/relay.hpp"

namespace reach::app {

// One daemon command: its options, --netns, and its CLI11 subcommand once added.
template <class Options>
struct DaemonCommand {
  Options opts;
  NetnsOption netns;
  CLI::App* sub = nullptr;
  void add_to(CLI::App& app);
  int run(std::ostream& out);  // after sub->parsed()
};

using RelayCommand = DaemonCommand<tools::RelayOptions>;
using GuardCommand = DaemonCommand<tools::GuardOptions>;
template <> void RelayCommand::add_to(CLI::App& app);
template <> int RelayCommand::run(std::ostream& out);
template <> void GuardCommand::add_to(CLI::App& app);
template <> int GuardCommand::run(std::ostream& out);

}  // namespace reach::app
