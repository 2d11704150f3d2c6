#include "sys/spawn.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "sys/clock.hpp"
#include "sys/fd.hpp"
#include "sys/pidfd.hpp"

extern char** environ;

namespace reach::sys {
namespace {

constexpr std::size_t kMaxStdin = 1 << 20;  // the default pipe-max-size

// The whole of `text` in a pipe whose read end the child gets: written before the spawn, so
// the parent never waits for a child that does not read.
Result<Fd> stdin_pipe(const std::string& text, const std::string& who) {
  if (text.size() > kMaxStdin) return fail("spawn", who, E2BIG, "stdin text over 1 MiB");
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return fail("pipe2", who, errno);
  Fd rd(p[0]), wr(p[1]);
  if (text.size() > 65536 && ::fcntl(wr.get(), F_SETPIPE_SZ, static_cast<int>(text.size())) < 0)
    return fail("fcntl(F_SETPIPE_SZ)", who, errno);
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(wr.get(), text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write(stdin pipe)", who, errno);
    }
    off += static_cast<std::size_t>(n);
  }
  // The child reads a blocking stdin; O_NONBLOCK on the read end would surprise it.
  int fl = ::fcntl(rd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(rd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return fail("fcntl(F_SETFL)", who, errno);
  return rd;
}

struct SpawnParts {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnParts() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  ~SpawnParts() {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  SpawnParts(const SpawnParts&) = delete;
  SpawnParts& operator=(const SpawnParts&) = delete;
};

// posix_spawn with `in` as stdin and `out` as stdout (2: our stderr), a clean signal state,
// its own process group and no other fds.
Result<pid_t> spawn_fds(const std::vector<std::string>& argv, const std::vector<std::string>& env, int in,
                        int out) {
  const std::string& who = argv[0];
  SpawnParts p;
  int rc = posix_spawn_file_actions_adddup2(&p.fa, in, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&p.fa, out, 1);
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&p.fa, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&p.attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&p.attr, &all);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&p.attr, 0);
  if (rc == 0)
    rc = posix_spawnattr_setflags(&p.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  if (rc != 0) return fail("posix_spawn setup", who, rc);

  std::vector<char*> av, ev;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  for (const auto& e : env) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  pid_t pid = -1;
  bool search = who.find('/') == std::string::npos;
  rc = search ? posix_spawnp(&pid, av[0], &p.fa, &p.attr, av.data(), ev.data())
              : posix_spawn(&pid, av[0], &p.fa, &p.attr, av.data(), ev.data());
  if (rc != 0) return fail("spawn", who, rc);
  return pid;
}

}  // namespace

Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& stdin_text) {
  if (argv.empty() || argv[0].empty()) return fail("spawn", "", EINVAL, "empty command");
  auto in = stdin_pipe(stdin_text, argv[0]);
  if (!in) return tl::unexpected(in.error());
  return spawn_fds(argv, env, in->get(), 2);
}

Result<std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                TimeNs timeout, std::size_t max_bytes) {
  if (argv.empty() || argv[0].empty()) return fail("run", "", EINVAL, "empty command");
  const std::string& who = argv[0];
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) return fail("open", "/dev/null", errno);
  Fd in(null);
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return fail("pipe2", who, errno);
  Fd rd(p[0]);
  auto pid = [&] {
    Fd wr(p[1]);  // closed here once the child has its copy: EOF comes when the child is done
    return spawn_fds(argv, env, in.get(), wr.get());
  }();
  if (!pid) return tl::unexpected(pid.error());
  auto pfd = pidfd_open(*pid);
  if (!pfd) {
    kill_child(*pid, SIGKILL);
    ::waitpid(*pid, nullptr, 0);
    return tl::unexpected(pfd.error());
  }
  const MonotonicClock clock;
  const TimeNs deadline = clock.now() + timeout;
  std::string out;
  std::optional<std::string> problem;
  bool eof = false, exited = false;
  while (!(eof && exited) && !problem) {
    const TimeNs left = deadline - clock.now();
    if (left <= 0) {
      problem = "timed out after " + std::to_string(timeout / kNsPerMs) + " ms";
      break;
    }
    pollfd fds[2] = {{rd.get(), POLLIN, 0}, {pfd->get(), POLLIN, 0}};
    const int n = ::poll(eof ? fds + 1 : fds, eof ? 1 : 2, static_cast<int>(std::min<TimeNs>(left / kNsPerMs + 1, 1000)));
    if (n < 0 && errno != EINTR) {
      problem = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (!eof && fds[0].revents) {
      char buf[4096];
      const ssize_t got = ::read(rd.get(), buf, sizeof buf);
      if (got > 0) {
        out.append(buf, static_cast<std::size_t>(got));
        if (out.size() > max_bytes) problem = "more than " + std::to_string(max_bytes) + " bytes of output";
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        eof = true;
      }
    }
    if (fds[1].revents & POLLIN) exited = true;  // poll wrote fds[1] in both calls
  }
  if (problem) kill_child(*pid, SIGKILL);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (problem) return fail("run", who, 0, *problem);
  if (WIFSIGNALED(status)) return fail("run", who, 0, "killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0) return fail("run", who, 0, "exit status " + std::to_string(WEXITSTATUS(status)));
  return out;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

Result<void> kill_child(pid_t pid, int signo) {
  if (pid <= 0) return fail("kill", std::to_string(pid), EINVAL);
  ::kill(-pid, signo);  // its group (may be gone already or changed by the child)
  if (::kill(pid, signo) != 0 && errno != ESRCH) return fail("kill", std::to_string(pid), errno);
  return {};
}

void exec_beside_self(const std::vector<std::string>& beside, char** argv) {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  std::string dir(self);
  dir.erase(dir.rfind('/') + 1);
  for (const std::string& rel : beside) {
    const std::string path = dir + rel;
    if (::access(path.c_str(), X_OK) == 0) ::execv(path.c_str(), argv);
  }
}

}  // namespace reach::sys
