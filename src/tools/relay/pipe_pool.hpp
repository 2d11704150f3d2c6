#pragma once
// Empty pipes kept for the next connection that splices: a new one costs pipe2, F_SETPIPE_SZ
// and later two closes. Bounded: at most `keep` idle pipes (two fds each, no pages while
// empty); a pipe that still holds bytes, or finds the pool full, is closed instead.
#include <cstddef>
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::tools::relay {

struct Pipe {
  sys::Fd r, w;
  std::size_t cap = 0;  // what the kernel gave (F_SETPIPE_SZ may round or refuse)
  int asked = 0;        // what was asked: a pool pipe is reused only for the same size
  bool valid() const { return r.valid(); }
};

class PipePool {
 public:
  explicit PipePool(std::size_t keep) : keep_(keep) {}
  // An idle pipe of `bytes` asked, else a new one.
  Result<Pipe> take(int bytes);
  // Back from a connection; `empty`: nothing left in it (else it is closed).
  void give(Pipe p, bool empty);
  std::size_t idle() const { return idle_.size(); }
  std::size_t keep() const { return keep_; }

 private:
  std::size_t keep_;
  std::vector<Pipe> idle_;
};

}  // namespace reach::tools::relay
