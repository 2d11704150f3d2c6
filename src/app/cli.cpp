#include "app/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "base/version.hpp"
#include "sys/caps.hpp"
#include "sys/netns.hpp"
#include "sys/output.hpp"

namespace reach::app {

namespace {

// "reach ping" when the error is about ping's arguments, else "reach".
std::string command_name(CLI::App& app) {
  for (const auto* sub : app.get_subcommands())
    return app.get_name() + " " + sub->get_name();
  return app.get_name();
}

}  // namespace

namespace {

// "reach 0.1.0", the form help2man reads when it writes the man pages (src/app/CMakeLists.txt).
std::string version_line() { return "reach " + std::string(reach::kVersion); }

}  // namespace

void init_app(CLI::App& app) {
  app.name("reach");
  app.description("reach: network reachability toolkit");
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", version_line(), "print the version and exit");
}

void add_version_flags(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands(std::function<bool(CLI::App*)>{})) {
    sub->set_version_flag("-V,--version", version_line(), "print the version and exit");
    add_version_flags(*sub);
  }
}

std::vector<std::string> cli_args(int argc, char** argv) {
  // nmap's `-iL FILE` is a two-letter short option, which CLI11 cannot name: rename it.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (auto& a : args)
    if (a == "-iL") a = "--input-list";
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse order
  return args;
}

int parse_error(CLI::App& app, const CLI::ParseError& e, bool nagios, std::ostream& out) {
  // A Nagios plugin reports bad arguments as UNKNOWN on stdout, exit 3.
  if (nagios) {
    out << "CHECK UNKNOWN: " << e.what() << '\n';
    return 3;
  }
  std::string name = command_name(app);
  std::cerr << name << ": " << e.what() << " (see " << name << " --help)\n";
  return 2;
}

int parse(CLI::App& app, int argc, char** argv, bool nagios, std::ostream& out) {
  auto args = cli_args(argc, argv);
  add_version_flags(app);
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return parse_error(app, e, nagios, out);
  }
  return -1;
}

void NetnsOption::add_to(CLI::App* a, NetnsUse how) {
  use = how;
  const bool probe = how == NetnsUse::probe;
  const std::string inside = probe ? "probe from inside" : "run inside";
  auto* n = a->add_option("--netns", name,
                          inside + " this network namespace" + (probe ? "" : " (its addresses and nftables ruleset)") +
                              ": NAME (/run/netns/NAME) or a path");
  a->add_option("--netns-pid", pid, inside + " the network namespace of process PID (docker inspect's .State.Pid)")
      ->excludes(n);
}

bool NetnsOption::enter(const std::string& cmd) const {
  if (name.empty() && pid == 0) return true;
  if (!reach::sys::real_root()) {
    std::cerr << cmd << ": --netns and --netns-pid enter a namespace, which only root may do\n";
    return false;
  }
  std::string path, label;
  if (pid != 0) {
    if (pid < 0) return (std::cerr << cmd << ": --netns-pid " << pid << ": not a process id\n"), false;
    path = "/proc/" + std::to_string(pid) + "/ns/net";
    label = "of pid " + std::to_string(pid);
  } else if (name.find('/') == std::string::npos) {
    auto ns = reach::sys::named_netns(name);
    if (!ns) return (std::cerr << cmd << ": " << ns.error().message() << '\n'), false;
    path = ns->path;
    label = name;
  } else {
    path = label = name;
  }
  if (auto r = reach::sys::enter_netns(path); !r) return (std::cerr << cmd << ": " << r.error().message() << '\n'), false;
  std::cerr << cmd << (use == NetnsUse::probe ? ": probing from" : ": running in") << " network namespace " << label
            << " (" << path << ")\n";
  return true;
}

int reach_main(int argc, char** argv, RunFn run) {
  // A set-user-ID reach would read any file for its caller and print parts of it: the way to
  // give it privilege is `setcap cap_net_raw+ep`, which this does not prevent.
  if (reach::sys::set_id_execution()) {
    std::cerr << "reach: refusing to run set-user-ID or set-group-ID; grant the capability instead: setcap "
                 "cap_net_raw+ep reach\n";
    return 2;
  }
  std::string cmd = "reach";
  if (argc > 1)
    for (const char* c : {"ping", "trace", "scan", "sockets", "check", "watch", "usage", "relay", "guard"})
      if (std::strcmp(argv[1], c) == 0) cmd += std::string(" ") + c;
  // Anything thrown that no layer caught (an allocation that failed, a library's exception):
  // one line and exit 2, never an abort with a core dump.
  std::set_terminate([] {
    static const char m[] = "reach: internal error: unexpected exception\n";
    (void)!::write(2, m, sizeof m - 1);
    _exit(2);
  });
  reach::sys::FdOutput out_buf(STDOUT_FILENO);
  std::ostream out(&out_buf);
  int code = 2;
  try {
    code = run(argc, argv, out);
  } catch (const std::bad_alloc&) {
    std::cerr << cmd << ": out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << cmd << ": internal error: " << e.what() << '\n';
    return 2;
  }
  out.flush();
  std::cout.flush();  // --help, --version: through stdio, whose errors show only after fflush
  const bool stdio_failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  if (int e = out_buf.error(); e != 0 || !std::cout || stdio_failed) {
    std::cerr << cmd << ": write error: " << std::strerror(e ? e : stdio_failed && errno ? errno : EIO) << '\n';
    return 2;
  }
  return code;
}

}  // namespace reach::app
