#pragma once
// SIGINT/SIGTERM as a counter the main loop polls (a wait is interrupted by EINTR).
namespace reach::sys {
void install_stop_signals();
int stop_requests();  // how many times the user asked us to stop
}  // namespace reach::sys
