#pragma once
// One direction of a relayed connection: first the bytes in `pending` (a PROXY header, a
// rewritten request head, bytes read before the backend was there), then the stream from `in` to
// `out` — through a pipe with splice(2) (the bytes never enter user space), or copied through a
// filter (relay --http's HttpForward) that rewrites what passes. Bounded: it stops reading while
// the pipe or `pending` is full, so a slow reader on one side stops the other side's sender
// (backpressure) instead of growing a buffer.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "base/error.hpp"
#include "packet/bytes.hpp"
#include "sys/fd.hpp"

namespace reach::tools::relay {

class Flow {
 public:
  // Copy mode: in-bytes go through `filter`, which appends what to send; false = refuse the rest.
  using Filter = std::function<bool(packet::Bytes in, packet::Buffer& out)>;
  static constexpr std::size_t kCopyLimit = 64 * 1024;

  // Splice mode with a pipe of `pipe_bytes`, or copy mode with a filter (no pipe).
  Result<void> open(int pipe_bytes, Filter filter = {});

  packet::Buffer& pending() { return pending_; }

  struct Progress {
    std::size_t in = 0;   // bytes taken from `in`
    std::size_t out = 0;  // bytes written to `out`
  };
  // Moves what it can without blocking: at most a few rounds, so one busy connection does not
  // hold the loop (level-triggered epoll comes back for the rest). Errors end the connection.
  Result<Progress> pump(int in, int out);

  bool wants_read() const;   // poll `in` for EPOLLIN
  bool wants_write() const;  // poll `out` for EPOLLOUT
  // `in` ended and everything was written: time to shutdown(out, SHUT_WR).
  bool drained() const { return in_eof_ && !wants_write(); }
  bool in_eof() const { return in_eof_; }
  bool shut() const { return shut_; }
  void mark_shut() { shut_ = true; }
  std::size_t buffered() const { return pending_.size() - sent_ + in_pipe_; }

 private:
  Result<std::size_t> write_pending(int out);
  sys::Fd pipe_r_, pipe_w_;
  std::size_t pipe_cap_ = 0, in_pipe_ = 0;
  bool pipe_full_ = false;  // splice into the pipe blocked with bytes in it: wait for the writer
  packet::Buffer pending_;
  std::size_t sent_ = 0;    // of pending_
  Filter filter_;
  bool in_eof_ = false, shut_ = false;
};

}  // namespace reach::tools::relay
