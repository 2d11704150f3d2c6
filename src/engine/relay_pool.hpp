#pragma once
// Which backend a new relayed connection goes to, and whether each backend is in: round-robin
// or least connections over the backends that are up; a backend's health checks take it out
// after `fall` failures in a row and put it back after `rise` successes (HAProxy's words and
// defaults' shape). A connect that fails also sets the backend aside for kPassiveRetry (nginx's
// max_fails=1 fail_timeout=10s), so new connections stop paying its connect timeout before the
// checks notice, or forever without them. Pure: the tool runs the connects and feeds the
// outcomes and the time in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace reach::engine {

enum class PoolBalance : std::uint8_t { roundrobin, leastconn };

class RelayPool {
 public:
  struct Backend {
    bool up = true;  // optimistic at start, as HAProxy: the first checks decide
    int fail_run = 0, ok_run = 0;
    std::uint64_t active = 0;     // connections open to it
    std::uint64_t total = 0;      // connections handed to it
    std::uint64_t failures = 0;   // connects that failed
    std::string last_reason;      // the last check's verdict text
    TimeNs avoid_until = 0;       // set aside after a failed connect, until then (monotonic ns)
  };
  static constexpr TimeNs kPassiveRetry = 10 * kNsPerSec;

  RelayPool(std::size_t backends, PoolBalance balance, int fall, int rise);

  // The next backend for a connection, skipping those in `tried` (a connect to them already
  // failed for this client) and, while others are left, those set aside at `now`; nullopt when
  // none is up and untried.
  std::optional<std::size_t> pick(const std::vector<bool>& tried, TimeNs now);
  void opened(std::size_t i) { ++b_[i].active, ++b_[i].total, b_[i].avoid_until = 0; }
  void closed(std::size_t i) {
    if (b_[i].active) --b_[i].active;
  }
  void connect_failed(std::size_t i, TimeNs now) { ++b_[i].failures, b_[i].avoid_until = now + kPassiveRetry; }

  // A health check's outcome. Returns the new state when this check changed it.
  std::optional<bool> checked(std::size_t i, bool ok, std::string reason);

  // A reload keeps the state (and open connections) of a backend that stays.
  void restore(std::size_t i, Backend b) { b_[i] = std::move(b); }
  const std::vector<Backend>& backends() const { return b_; }
  std::size_t up_count() const;

 private:
  std::optional<std::size_t> pick_from(const std::vector<bool>& tried, TimeNs now);  // now 0: none set aside
  std::vector<Backend> b_;
  PoolBalance balance_;
  int fall_, rise_;
  std::size_t next_ = 0;
};

}  // namespace reach::engine
