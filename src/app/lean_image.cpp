#include "app/lean_image.hpp"

#include <cstring>
#include <string>

#include "sys/spawn.hpp"

namespace reach::app {

void exec_lean_image(int argc, char** argv) {
  if (argc < 2 || (std::strcmp(argv[1], "relay") != 0 && std::strcmp(argv[1], "guard") != 0)) return;
  // What runs is what was installed beside this binary. (The lean images hold no file
  // capabilities: exec drops this binary's.)
  const std::string name = std::string("reach-") + argv[1];
  sys::exec_beside_self({REACH_LIBEXEC_FROM_BIN "/" + name, name}, argv);
}

}  // namespace reach::app
