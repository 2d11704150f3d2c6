#pragma once
// One helper thread for blocking work of a daemon (an SNMP GET that waits for its timeout, an
// MRTG script that runs for seconds), so the Reactor's loop never stalls on it. A job runs on the
// helper thread and returns a continuation; the continuation runs on the Reactor's thread (woken
// through an eventfd). Jobs run one at a time, in order.
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <condition_variable>

#include "io/reactor.hpp"
#include "sys/fd.hpp"

namespace reach::io {

class Worker {
 public:
  using Continuation = std::function<void()>;
  using Job = std::function<Continuation()>;  // runs on the helper thread: touch no reactor state
  static Result<std::unique_ptr<Worker>> create(Reactor& reactor);
  // Stops the thread once the running job returns (its continuation and queued jobs are dropped).
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run(Job job);
  std::size_t queued() const;  // jobs not started yet (the caller skips a poll when it lags)

 private:
  explicit Worker(Reactor& reactor) : reactor_(reactor) {}
  void loop();
  void on_ready();

  Reactor& reactor_;
  sys::Fd wake_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::deque<Continuation> done_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace reach::io
