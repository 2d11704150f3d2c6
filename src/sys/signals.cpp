#include "sys/signals.hpp"

#include <signal.h>

namespace reach::sys {
namespace {
volatile sig_atomic_t g_stops = 0;
sigset_t g_wait_mask;
bool g_installed = false;
void on_stop(int) { g_stops = g_stops + 1; }
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &g_wait_mask);
  sigdelset(&g_wait_mask, SIGINT);
  sigdelset(&g_wait_mask, SIGTERM);
  g_installed = true;
}

const void* stop_wait_mask() { return g_installed ? &g_wait_mask : nullptr; }

int stop_requests() { return g_stops; }

void request_stop() { g_stops = g_stops + 1; }

}  // namespace reach::sys
