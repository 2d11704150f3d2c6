#pragma once
// Starting a child process for `exec` notifiers: posix_spawn with a clean signal mask and
// default dispositions (the reactor blocks signals it reads through signalfd), stdin fed from a
// pipe that already holds all of `stdin_text` (so the parent never blocks writing it), stdout
// sent to our stderr (stdout may be the NDJSON event stream), stderr inherited, every other fd
// closed, its own process group (a Ctrl-C at the terminal is ours to handle, not the child's).
// The caller bounds its run time: Reactor::watch_child plus a timer that calls kill_child.
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"

namespace reach::sys {

// argv[0] is looked up in PATH when it has no '/'. `env` entries are "NAME=value"; the child
// gets exactly these (an empty vector: an empty environment). stdin_text is at most 1 MiB
// (the pipe is grown to hold it). Errors name argv[0].
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& stdin_text);

// Runs argv to its end and returns its standard output (for `mrtg:` usage sources): stdin is
// /dev/null, stderr inherited, own process group, environment `env`. Blocking (call it off the
// reactor). Past `timeout` the group is killed (SIGKILL) and reaped: error "timed out after N
// ms". Output over `max_bytes` or a non-zero exit / death by a signal is an error too, naming
// argv[0].
// Replaces this process with the first of `beside` (paths relative to the directory of this
// binary's real path, /proc/self/exe — never argv[0] or PATH) that is executable, with `argv`
// and the environment as they are. Returns only when none could be run.
void exec_beside_self(const std::vector<std::string>& beside, char** argv);

Result<std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                TimeNs timeout, std::size_t max_bytes = 64 * 1024);

// The environment of this process as "NAME=value" entries, to pass on with additions.
std::vector<std::string> current_environment();

// Signals a child's process group (spawn makes the child its leader), then the child itself.
// Safe until the child is reaped (Reactor::watch_child reaps it before its callback runs).
Result<void> kill_child(pid_t pid, int signo);

}  // namespace reach::sys
