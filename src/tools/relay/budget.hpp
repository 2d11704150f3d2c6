#pragma once
// What the relay's connections cost, for its caps: the memory cap's estimate (max_memory) and
// the open files max_conns needs (the soft RLIMIT_NOFILE it raises at start). Pure.
#include <cstddef>
#include <cstdint>

#include "config/relay_config.hpp"

namespace reach::tools::relay {

// A forwarding connection: two pipes and what may wait in user space (a request head, a copy
// buffer); an estimate, not an accounting of the kernel's socket buffers.
std::uint64_t forwarding_bytes(const config::RelayConfig& c);
// A connection before its backend is connected has no pipes yet, only the head it may buffer
// (the HTTP request head, the PROXY header); in plain TCP, with no head to wait for, the pipes
// its connect is about to open.
std::uint64_t pending_bytes(const config::RelayConfig& c);
// `open` connections of which `forwarding` have a backend.
std::uint64_t memory_estimate(const config::RelayConfig& c, std::size_t open, std::size_t forwarding);
// Open files for max_conns forwarding connections (client, backend, two pipes of two ends each)
// and the relay's own (listeners, metrics, epoll, health checks).
std::size_t fds_wanted(const config::RelayConfig& c);

}  // namespace reach::tools::relay
