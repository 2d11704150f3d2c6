// reach-relay and reach-guard: the lean images `reach relay` and `reach guard` exec
// (lean_image.hpp), built from this one file with REACH_LEAN_COMMAND naming the command. It is
// the same command as in `reach` (daemon_commands.hpp) under the same root parser, so help,
// messages and exit codes are reach's own.
#include "app/cli.hpp"
#include "app/daemon_commands.hpp"

namespace {

int run(int argc, char** argv, std::ostream& out) {
  CLI::App app;
  reach::app::init_app(app);
  reach::app::REACH_LEAN_COMMAND command;
  command.add_to(app);
  if (int code = reach::app::parse(app, argc, argv, false, out); code >= 0) return code;
  return command.run(out);
}

}  // namespace

int main(int argc, char** argv) { return reach::app::reach_main(argc, argv, run); }
