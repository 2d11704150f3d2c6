#include "io/daemon_signals.hpp"

#include <signal.h>

#include "sys/output.hpp"

namespace reach::io {

Result<void> handle_daemon_signals(Reactor& loop, DaemonSignals s) {
  if (s.outlive_output) sys::keep_serving_when_output_fails(s.name);
  for (int sig : {SIGINT, SIGTERM})
    if (auto r = loop.on_signal(sig, s.stop); !r) return r;
  std::function<void()> hup = std::move(s.reload);
  if (!hup)
    hup = [say = std::move(s.say)] {
      if (say) say(kNothingToReload);
    };
  return loop.on_signal(SIGHUP, std::move(hup));
}

}  // namespace reach::io
