#include "sys/terminal.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace reach::sys {

struct RawInput::Saved {
  termios tio;
};

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

std::unique_ptr<RawInput> RawInput::enter() {
  if (isatty(STDIN_FILENO) != 1) return nullptr;
  termios tio;
  if (tcgetattr(STDIN_FILENO, &tio) != 0) return nullptr;
  std::unique_ptr<RawInput> r(new RawInput);
  r->saved_ = std::make_unique<Saved>(Saved{tio});
  tio.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) != 0) return nullptr;
  return r;
}

RawInput::~RawInput() {
  if (saved_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_->tio);
}

std::optional<char> RawInput::key() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (poll(&p, 1, 0) != 1) return std::nullopt;
  char c = 0;
  if (read(STDIN_FILENO, &c, 1) != 1) return std::nullopt;
  return c;
}

}  // namespace reach::sys
