#pragma once
// SIGINT/SIGTERM as a counter the main loop polls (a wait is interrupted by EINTR).
namespace reach::sys {
void install_stop_signals();
int stop_requests();  // how many times the user asked us to stop
// A stop asked from inside (standard output failed): counted as one more request. Signal-safe.
void request_stop();
// The signals stay blocked except while waiting: this is the mask to wait with (nullptr before
// install_stop_signals), so a Ctrl-C between a check and the wait cannot be missed.
const void* stop_wait_mask();
}  // namespace reach::sys
