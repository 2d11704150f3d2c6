#pragma once
// `reach check`: which checks to start, when an attempt has timed out, whether to retry, and
// what a connect outcome means. No sockets and no clock: the tool passes `now` in.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "engine/connect_outcome.hpp"
#include "model/check.hpp"

namespace reach::engine {

struct Classified {
  model::CheckStatus status = model::CheckStatus::error;
  std::string reason;
};

// What a TCP connect ended with (engine/connect_outcome.hpp decides, this names it in check's
// words): `err` is connect()'s errno or SO_ERROR (0: connected), `icmp` the ICMP error the kernel
// queued for the socket (IP_RECVERR), `immediate` when connect() failed at once.
Classified classify_connect(int err, const std::optional<model::IcmpSeen>& icmp, bool immediate);
Classified classify_verdict(const ConnectVerdict& v);
// An ICMP(v6) destination unreachable (or other error) about a probe.
Classified classify_icmp(const model::IcmpSeen& icmp);
// No answer within the timeout.
Classified classify_timeout(TimeNs timeout);
// Worth another attempt (a lost packet may explain it); refused, prohibited, no route are final.
bool retryable(model::CheckStatus s);

class CheckScheduler {
 public:
  // `items` checks, at most `concurrency` attempts in flight, `retries` extra attempts for a
  // retryable failure, each attempt `timeout` ns long.
  CheckScheduler(std::size_t items, std::size_t concurrency, unsigned retries, TimeNs timeout);

  // Attempts to start now (item numbers); the caller starts each at once.
  std::vector<std::size_t> start(TimeNs now);
  // The item's attempt ended with `s`. True when that is its final result.
  bool finished(std::size_t item, model::CheckStatus s);
  // Items whose running attempt passed its deadline at `now` (each reported once per attempt).
  std::vector<std::size_t> expired(TimeNs now);
  // The earliest deadline of a running attempt.
  std::optional<TimeNs> next_deadline();

  unsigned attempts(std::size_t item) const { return items_.at(item).attempts; }
  bool done() const { return final_ == items_.size(); }
  std::size_t running() const { return running_; }

 private:
  struct Item {
    unsigned attempts = 0;
    bool running = false, final = false;
    TimeNs deadline = 0;
  };
  struct Deadline {
    TimeNs when;
    std::size_t item;
    unsigned attempt;
  };
  std::vector<Item> items_;
  std::deque<std::size_t> waiting_;
  std::deque<Deadline> deadlines_;  // in start order = deadline order (one timeout for all)
  std::size_t concurrency_, running_ = 0, final_ = 0;
  unsigned retries_;
  TimeNs timeout_;
};

}  // namespace reach::engine
