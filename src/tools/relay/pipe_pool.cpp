#include "tools/relay/pipe_pool.hpp"

#include "sys/splice.hpp"

namespace reach::tools::relay {

Result<Pipe> PipePool::take(int bytes) {
  // Pipes of another size (pipe_size changed by a reload) are dropped as they come up.
  while (!idle_.empty()) {
    Pipe p = std::move(idle_.back());
    idle_.pop_back();
    if (p.asked == bytes) return p;
  }
  auto o = sys::open_pipe(bytes);
  if (!o) return tl::unexpected(o.error());
  Pipe p;
  p.r = std::move(o->r);
  p.w = std::move(o->w);
  p.cap = o->capacity;
  p.asked = bytes;
  return p;
}

void PipePool::give(Pipe p, bool empty) {
  if (!p.valid() || !empty || idle_.size() >= keep_) return;  // closed by p's destructor
  idle_.push_back(std::move(p));
}

}  // namespace reach::tools::relay
