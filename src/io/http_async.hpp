#pragma once
// HTTP(S) requests on the Reactor: libcurl's multi *socket* interface (CURLMOPT_SOCKETFUNCTION
// and TIMERFUNCTION), so thousands of HTTP probes and webhook deliveries share the daemon's one
// thread and never block it. Same HttpRequest/HttpResponse shapes as io/http_client (check).
//
// Threading: on the Reactor's thread only. Callbacks run from reactor callbacks, never from
// inside start().
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/error.hpp"
#include "io/http_client.hpp"
#include "io/reactor.hpp"

namespace reach::io {

class HttpAsync {
 public:
  static Result<std::unique_ptr<HttpAsync>> create(Reactor& reactor);
  // Pending requests are abandoned: their callbacks are not called.
  ~HttpAsync();

  using RequestId = std::uint64_t;
  using Callback = std::function<void(HttpResponse)>;
  // Starts a request; `cb` runs exactly once (unless cancelled or the HttpAsync is destroyed)
  // with the response or the reason there is none (HttpResponse::completed == false: error,
  // timed_out, connect_failed...). `req.timeout` bounds the whole transfer, connect included.
  // Errors only when curl cannot set up the transfer.
  Result<RequestId> start(HttpRequest req, Callback cb);
  void cancel(RequestId id);  // no callback; no-op if already done
  std::size_t in_flight() const;

  struct Impl;

 private:
  explicit HttpAsync(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::io
