#include "app/lean_image.hpp"

#include <limits.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace reach::app {

void exec_lean_image(int argc, char** argv) {
  if (argc < 2 || (std::strcmp(argv[1], "relay") != 0 && std::strcmp(argv[1], "guard") != 0)) return;
  // The real path of this binary, never argv[0] or $PATH: what runs is what was installed
  // beside it. (The lean images hold no file capabilities: exec drops this binary's.)
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  std::string dir(self);
  dir.erase(dir.rfind('/') + 1);
  const std::string name = std::string("reach-") + argv[1];
  for (const std::string& path : {dir + REACH_LIBEXEC_FROM_BIN "/" + name, dir + name})
    if (::access(path.c_str(), X_OK) == 0) ::execv(path.c_str(), argv);
}

}  // namespace reach::app
