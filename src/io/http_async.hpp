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

// Loads libcurl now; it is otherwise loaded at the first transfer. A daemon whose config needs
// HTTP calls it at start, so that a missing library fails the start (exit 2) instead of reporting
// every HTTP target down or keeping every notification undelivered. Error as the load's:
// {op "load", addr "libcurl.so.4", 0, why}.
Result<void> load_http_library();

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
