#include "sys/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd.hpp"

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

}  // namespace

Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& stdin_text) {
  if (argv.empty() || argv[0].empty()) return fail("spawn", "", EINVAL, "empty command");
  const std::string& who = argv[0];
  auto in = stdin_pipe(stdin_text, who);
  if (!in) return tl::unexpected(in.error());

  SpawnParts p;
  int rc = posix_spawn_file_actions_adddup2(&p.fa, in->get(), 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&p.fa, 2, 1);
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

}  // namespace reach::sys
