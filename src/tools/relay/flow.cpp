#include "tools/relay/flow.hpp"

#include <algorithm>
#include <array>
#include <cerrno>

#include "sys/socket.hpp"
#include "sys/splice.hpp"

namespace reach::tools::relay {

Flow::~Flow() {
  if (pipe_.valid() && pipes_) pipes_->give(std::move(pipe_), in_pipe_ == 0);
}

void Flow::open(std::size_t limit, PipePool* pipes, Filter filter) {
  filter_ = std::move(filter);
  pipes_ = filter_ ? nullptr : pipes;
  limit_ = filter_ ? kCopyLimit : std::max<std::size_t>(limit, 1);
}

bool Flow::wants_read() const {
  if (in_eof_) return false;
  if (!pipe_.valid()) return waiting() < limit_;
  return waiting() == 0 && in_pipe_ < pipe_.cap && !pipe_full_;
}

bool Flow::wants_write() const { return waiting() > 0 || in_pipe_ > 0; }

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
    // Splicing from now on: the copy buffer is not needed again.
    if (pipe_.valid()) pending_.shrink_to_fit();
  }
  return total;
}

// One read into a stack buffer. Straight on to `out` when nothing waits (no heap for a short
// exchange), else behind what waits; with a filter, through it.
Result<Flow::Progress> Flow::copy_in(int in, int out) {
  std::array<std::uint8_t, kReadChunk> buf;
  const std::size_t asked = filter_ ? buf.size() : std::min(buf.size(), limit_ - waiting());
  auto n = sys::read_stream(in, std::span<std::uint8_t>(buf.data(), asked));
  if (!n) return tl::unexpected(n.error());
  Progress p;
  short_ = !*n || **n < asked;
  if (!*n) return p;
  if (**n == 0) {
    in_eof_ = true;
    return p;
  }
  const std::size_t got = **n;
  p.in = got;
  packet::Bytes data(buf.data(), got);
  if (filter_) {
    if (!filter_(data, pending_)) return fail("request", "", EPROTO);
    return p;
  }
  moved_ += got;
  if (waiting() == 0) {
    auto w = sys::send_stream(out, data);
    if (!w) return tl::unexpected(w.error());
    p.out = *w ? **w : 0;
    data = data.subspan(p.out);
  }
  pending_.insert(pending_.end(), data.begin(), data.end());
  // Bulk: splice the rest. A pipe that cannot be had (out of fds) leaves it copying.
  if (pipes_ && bulk(moved_)) {
    if (auto p = pipes_->take(static_cast<int>(limit_))) pipe_ = std::move(*p);
    pipes_ = pipe_.valid() ? pipes_ : nullptr;
  }
  return p;
}

Result<std::size_t> Flow::splice_in(int in) {
  const std::size_t asked = pipe_.cap - in_pipe_;
  auto n = sys::splice_move(in, pipe_.w.get(), asked);
  if (!n) return tl::unexpected(n.error());
  short_ = !*n || **n < asked;
  if (!*n) {
    // EAGAIN with bytes in the pipe: the pipe may be out of slots before it is out of bytes;
    // wait until the writer made room rather than spin on a readable socket.
    if (in_pipe_ > 0) pipe_full_ = true;
    return 0;
  }
  if (**n == 0) {
    in_eof_ = true;
    return 0;
  }
  in_pipe_ += **n;
  return **n;
}

Result<std::size_t> Flow::splice_out(int out) {
  if (!pipe_.valid() || waiting() > 0 || in_pipe_ == 0) return 0;
  auto n = sys::splice_move(pipe_.r.get(), out, in_pipe_);
  if (!n) return tl::unexpected(n.error());
  if (!*n || **n == 0) return 0;
  in_pipe_ -= **n;
  pipe_full_ = false;
  return **n;
}

Result<Flow::Progress> Flow::pump(int in, int out, bool to_eof) {
  Progress p;
  bool dry = false;
  for (int round = 0; round < 4; ++round) {
    const Progress before = p;
    // Read first: a PROXY header waiting in `pending` then leaves in one send with the request.
    if (!dry && wants_read()) {
      if (pipe_.valid()) {
        auto n = splice_in(in);
        if (!n) return tl::unexpected(n.error());
        p.in += *n;
      } else {
        auto n = copy_in(in, out);
        if (!n) return tl::unexpected(n.error());
        p.in += n->in;
        p.out += n->out;
      }
      dry = short_ && !to_eof;
    }
    auto w = write_pending(out);
    if (!w) return tl::unexpected(w.error());
    p.out += *w;
    auto s = splice_out(out);
    if (!s) return tl::unexpected(s.error());
    p.out += *s;
    if (p.in == before.in && p.out == before.out) break;
  }
  return p;
}

}  // namespace reach::tools::relay
