#pragma once
// One direction of a relayed connection: first the bytes in `pending` (a PROXY header, a
// rewritten request head, bytes read before the backend was there), then the stream from `in` to
// `out`. It starts by copying through a bounded buffer, and moves to a pipe with splice(2) (the
// bytes never enter user space) once the direction proves to be bulk (see bulk()): a short
// exchange, like most HTTP requests and answers, never pays for a pipe's creation. With a filter
// (relay --http's HttpForward, which rewrites what passes) it always copies. Bounded: it stops
// reading while the pipe or the copy buffer is full, so a slow reader on one side stops the other
// side's sender (backpressure) instead of growing a buffer.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "base/error.hpp"
#include "packet/bytes.hpp"
#include "sys/fd.hpp"
#include "tools/relay/pipe_pool.hpp"

namespace reach::tools::relay {

class Flow {
 public:
  // Copy mode: in-bytes go through `filter`, which appends what to send; false = refuse the rest.
  using Filter = std::function<bool(packet::Bytes in, packet::Buffer& out)>;
  static constexpr std::size_t kCopyLimit = 64 * 1024;  // waiting bytes with a filter
  static constexpr std::size_t kReadChunk = 16 * 1024;  // one copying read
  static constexpr std::size_t kSpliceAfter = 32 * 1024;

  // Whether a copying direction should move to a pipe: once it has carried kSpliceAfter bytes.
  // Below that a pipe's creation (or the pool's round trip) costs more than copying saves; a
  // test on how full the reads come was tried and dropped: a relay that keeps up with its sender
  // reads a bulk stream in small pieces and then never spliced.
  static constexpr bool bulk(std::size_t moved) { return moved >= kSpliceAfter; }

  Flow() = default;
  ~Flow();
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;

  // Copying at most `limit` bytes waiting, splicing through a pipe of up to `limit` from `pipes`
  // once bulk (no pool: copy only); or copying through `filter` (then `limit` is kCopyLimit).
  void open(std::size_t limit, PipePool* pipes, Filter filter = {});

  packet::Buffer& pending() { return pending_; }

  struct Progress {
    std::size_t in = 0;   // bytes taken from `in`
    std::size_t out = 0;  // bytes written to `out`
  };
  // Moves what it can without blocking: at most a few rounds, so one busy connection does not
  // hold the loop (level-triggered epoll comes back for the rest). A read that got less than it
  // asked emptied the socket: no more reads this time (epoll says when more comes), unless
  // `to_eof` (the peer's FIN is in: reading on finds the end of stream now, not a turn later).
  // Errors end the connection.
  Result<Progress> pump(int in, int out, bool to_eof = false);

  bool wants_read() const;   // poll `in` for EPOLLIN
  bool wants_write() const;  // poll `out` for EPOLLOUT
  // `in` ended and everything was written: time to shutdown(out, SHUT_WR).
  bool drained() const { return in_eof_ && !wants_write(); }
  bool in_eof() const { return in_eof_; }
  bool shut() const { return shut_; }
  void mark_shut() { shut_ = true; }
  bool spliced() const { return pipe_.valid(); }
  std::size_t buffered() const { return waiting() + in_pipe_; }

 private:
  std::size_t waiting() const { return pending_.size() - sent_; }
  Result<std::size_t> write_pending(int out);
  Result<Progress> copy_in(int in, int out);
  Result<std::size_t> splice_in(int in);
  Result<std::size_t> splice_out(int out);
  PipePool* pipes_ = nullptr;
  Pipe pipe_;
  std::size_t limit_ = kCopyLimit, in_pipe_ = 0, moved_ = 0;
  bool short_ = false;      // the last read got less than it asked
  bool pipe_full_ = false;  // splice into the pipe blocked with bytes in it: wait for the writer
  packet::Buffer pending_;
  std::size_t sent_ = 0;    // of pending_
  Filter filter_;
  bool in_eof_ = false, shut_ = false;
};

}  // namespace reach::tools::relay
