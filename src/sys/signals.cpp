#include "sys/signals.hpp"

#include <signal.h>

namespace reach::sys {
namespace {
volatile sig_atomic_t g_stops = 0;
void on_stop(int) { g_stops = g_stops + 1; }
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int stop_requests() { return g_stops; }

}  // namespace reach::sys
