#include "io/worker.hpp"

#include <sys/epoll.h>

#include "sys/eventfd.hpp"

namespace reach::io {

Result<std::unique_ptr<Worker>> Worker::create(Reactor& reactor) {
  std::unique_ptr<Worker> w(new Worker(reactor));
  auto fd = sys::make_eventfd();
  if (!fd) return tl::unexpected(fd.error());
  w->wake_ = std::move(*fd);
  if (auto r = reactor.watch(w->wake_.get(), EPOLLIN, [p = w.get()](std::uint32_t) { p->on_ready(); }); !r)
    return tl::unexpected(r.error());
  w->thread_ = std::thread([p = w.get()] { p->loop(); });
  return w;
}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  reactor_.unwatch(wake_.get());
}

void Worker::run(Job job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::size_t Worker::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return jobs_.size();
}

void Worker::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Continuation c = job();
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return;
      done_.push_back(std::move(c));
    }
    sys::eventfd_signal(wake_.get());
  }
}

void Worker::on_ready() {
  sys::eventfd_drain(wake_.get());
  std::deque<Continuation> ready;
  {
    std::lock_guard<std::mutex> l(mu_);
    ready.swap(done_);
  }
  for (auto& c : ready)
    if (c) c();
}

}  // namespace reach::io
