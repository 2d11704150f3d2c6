#include "tools/relay/flow.hpp"

#include <array>
#include <cerrno>

#include "sys/socket.hpp"
#include "sys/splice.hpp"

namespace reach::tools::relay {

Result<void> Flow::open(int pipe_bytes, Filter filter) {
  filter_ = std::move(filter);
  if (filter_) return {};
  auto p = sys::open_pipe(pipe_bytes);
  if (!p) return tl::unexpected(p.error());
  pipe_r_ = std::move(p->first);
  pipe_w_ = std::move(p->second);
  const int cap = sys::pipe_capacity(pipe_w_.get());
  pipe_cap_ = cap > 0 ? static_cast<std::size_t>(cap) : 65536;
  return {};
}

bool Flow::wants_read() const {
  if (in_eof_) return false;
  if (filter_) return pending_.size() - sent_ < kCopyLimit;
  return sent_ >= pending_.size() && in_pipe_ < pipe_cap_ && !pipe_full_;
}

bool Flow::wants_write() const { return sent_ < pending_.size() || in_pipe_ > 0; }

Result<std::size_t> Flow::write_pending(int out) {
  std::size_t total = 0;
  while (sent_ < pending_.size()) {
    auto n = sys::send_stream(out, packet::Bytes(pending_).subspan(sent_));
    if (!n) return tl::unexpected(n.error());
    if (!*n || **n == 0) break;
    sent_ += **n;
    total += **n;
  }
  if (sent_ == pending_.size()) {
    pending_.clear();
    sent_ = 0;
  }
  return total;
}

Result<Flow::Progress> Flow::pump(int in, int out) {
  Progress p;
  for (int round = 0; round < 4; ++round) {
    const Progress before = p;
    // Write first: what waits is older than what could be read.
    auto w = write_pending(out);
    if (!w) return tl::unexpected(w.error());
    p.out += *w;
    if (!filter_ && sent_ >= pending_.size() && in_pipe_ > 0) {
      auto n = sys::splice_move(pipe_r_.get(), out, in_pipe_);
      if (!n) return tl::unexpected(n.error());
      if (*n && **n > 0) {
        in_pipe_ -= **n;
        p.out += **n;
        pipe_full_ = false;
      }
    }
    if (wants_read()) {
      if (filter_) {
        std::array<std::uint8_t, 16384> buf;
        auto n = sys::read_stream(in, buf);
        if (!n) return tl::unexpected(n.error());
        if (*n && **n == 0) in_eof_ = true;
        if (*n && **n > 0) {
          p.in += **n;
          if (!filter_(packet::Bytes(buf.data(), **n), pending_)) return fail("request", "", EPROTO);
        }
      } else {
        auto n = sys::splice_move(in, pipe_w_.get(), pipe_cap_ - in_pipe_);
        if (!n) return tl::unexpected(n.error());
        if (!*n) {
          // EAGAIN with bytes in the pipe: the pipe may be out of slots before it is out of
          // bytes; wait until the writer made room rather than spin on a readable socket.
          if (in_pipe_ > 0) pipe_full_ = true;
        } else if (**n == 0) {
          in_eof_ = true;
        } else {
          in_pipe_ += **n;
          p.in += **n;
        }
      }
    }
    if (p.in == before.in && p.out == before.out) break;
  }
  return p;
}

}  // namespace reach::tools::relay
