#pragma once
// Which backend a new relayed connection goes to, and whether each backend is in: round-robin
// or least connections over the backends that are up; a backend's health checks take it out
// after `fall` failures in a row and put it back after `rise` successes (HAProxy's words and
// defaults' shape). Pure: the tool runs the connects and feeds the outcomes in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  };

  RelayPool(std::size_t backends, PoolBalance balance, int fall, int rise);

  // The next backend for a connection, skipping those in `tried` (a connect to them already
  // failed for this client); nullopt when none is up and untried.
  std::optional<std::size_t> pick(const std::vector<bool>& tried);
  void opened(std::size_t i) { ++b_[i].active, ++b_[i].total; }
  void closed(std::size_t i) {
    if (b_[i].active) --b_[i].active;
  }
  void connect_failed(std::size_t i) { ++b_[i].failures; }

  // A health check's outcome. Returns the new state when this check changed it.
  std::optional<bool> checked(std::size_t i, bool ok, std::string reason);

  // A reload keeps the state (and open connections) of a backend that stays.
  void restore(std::size_t i, Backend b) { b_[i] = std::move(b); }
  const std::vector<Backend>& backends() const { return b_; }
  std::size_t up_count() const;

 private:
  std::vector<Backend> b_;
  PoolBalance balance_;
  int fall_, rise_;
  std::size_t next_ = 0;
};

}  // namespace reach::engine
