#pragma once
// What every reach executable shares around its CLI11 parser: the process wrapper (set-id
// refusal, output errors, uncaught exceptions), parse errors, --netns. `reach` and the daemons'
// lean images (reach-relay, reach-guard: docs/ARCHITECTURE.md, "Lean daemon images") build
// their commands from the same code, so help, messages and exit codes cannot differ.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace reach::app {

// The root parser: named "reach", one subcommand, -V/--version.
void init_app(CLI::App& app);
// -V/--version on every subcommand below app, printing what `reach --version` prints: each
// command declared its own way (`reach guard` fell through to the root's flag, `reach relay`
// refused it). parse() calls it once every command is added.
void add_version_flags(CLI::App& app);

// argv as CLI11 wants it (reversed), nmap's `-iL` renamed to --input-list.
std::vector<std::string> cli_args(int argc, char** argv);

// "reach ping: ... (see reach ping --help)" and 2; a Nagios plugin's UNKNOWN and 3.
int parse_error(CLI::App& app, const CLI::ParseError& e, bool nagios, std::ostream& out);

// Parses argv into app: -1 when parsing succeeded, else the exit code (help, version, errors
// printed). nagios: a parse error is a Nagios UNKNOWN.
int parse(CLI::App& app, int argc, char** argv, bool nagios, std::ostream& out);

// --netns NAME|PATH and --netns-pid PID: the probing commands probe from the namespace, the
// daemons that probe nothing (relay, guard) run in it; the help and the line say which.
enum class NetnsUse : std::uint8_t { probe, run };
struct NetnsOption {
  std::string name;
  int pid = 0;
  NetnsUse use = NetnsUse::probe;
  void add_to(CLI::App* a, NetnsUse how = NetnsUse::probe);
  // Enters the namespace for the rest of the run (before any socket is opened or capability
  // dropped) and says so on stderr; false after printing why it could not.
  bool enter(const std::string& cmd) const;
  // How JSON names the namespace (the key `netns`, as `reach sockets`): NAME, the path given,
  // or pid:N; empty without the options.
  std::string json_label() const { return pid != 0 ? "pid:" + std::to_string(pid) : name; }
};

// main() of every reach executable: refuses set-id execution, runs `run`, turns escaped
// exceptions and failed writes to stdout into one line and exit 2.
using RunFn = int (*)(int argc, char** argv, std::ostream& out);
int reach_main(int argc, char** argv, RunFn run);

}  // namespace reach::app
