#pragma once
// An exclusive advisory lock (flock) held as long as the returned Fd is open: two daemons
// counting into one usage database would each add every delta (twice the bytes).
#include <string>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// Creates PATH if missing (mode 0644) and locks it without waiting: EWOULDBLOCK when another
// process holds it.
Result<Fd> lock_file(const std::string& path);

}  // namespace reach::sys
