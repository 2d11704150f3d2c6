#pragma once
// The embedded HTTP server of the daemons (/metrics, /probe, /api/v1, /-/reload): libmicrohttpd
// in its external-epoll mode, its epoll fd registered on the Reactor and MHD_run driven by it,
// so the daemon stays one thread. No HTTP parsing of our own.
//
// Threading: everything runs on the Reactor's thread; handlers are called from MHD_run inside a
// reactor callback. An HttpReply may be completed later (after a probe, from any reactor
// callback): the connection is suspended meanwhile (MHD_suspend_connection) and resumed when
// the reply is sent. Not thread-safe; never call from another thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "io/listen_address.hpp"
#include "io/reactor.hpp"

namespace reach::io {

struct HttpServerRequest {
  std::string method;  // "GET", "POST", as sent (upper case for the usual methods)
  std::string path;    // decoded path without the query ("/probe")
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order; repeats kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;    // POST/PUT body, at most HttpServerOptions::max_body bytes
  std::string peer;    // client address "198.18.0.1:51234" / "[2001:db8::1]:51234"

  // First value of a query parameter / header (header names case-insensitive); nullptr if absent.
  const std::string* param(std::string_view name) const;
  const std::string* header(std::string_view name) const;
};

struct HttpServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// The one answer to a request. Move-only; send() once (later calls are ignored). Dropping an
// HttpReply without sending answers 500 "reply dropped", so a connection never hangs. Sending
// after the server was destroyed, or after the client went away, is a harmless no-op.
class HttpReply {
 public:
  struct State;  // shared with the server's per-connection record
  explicit HttpReply(std::shared_ptr<State> s) : state_(std::move(s)) {}
  HttpReply(HttpReply&&) noexcept = default;
  HttpReply& operator=(HttpReply&& o) noexcept;
  HttpReply(const HttpReply&) = delete;
  HttpReply& operator=(const HttpReply&) = delete;
  ~HttpReply();

  void send(HttpServerResponse r);
  bool sent() const;

 private:
  std::shared_ptr<State> state_;
};

// A handler either calls reply.send() before returning (synchronous) or keeps the reply (moves
// it into a callback) and sends later (asynchronous).
using HttpHandler = std::function<void(const HttpServerRequest&, HttpReply)>;

struct HttpServerOptions {
  std::vector<std::string> listen;          // each parsed by parse_listen_address
  std::size_t max_body = 1 << 20;           // bigger request bodies get 413
  unsigned connection_limit = 256;          // further clients are refused at accept
  unsigned connection_timeout_s = 10;       // idle/slow client (not a suspended reply) is closed
  bool allow_port_zero = false;             // tests: let the kernel pick (see bound_ports())
};

class HttpServer {
 public:
  // Opens every listen socket (errors name the address: `listen 127.0.0.1:9798: Address already
  // in use`) and registers with the reactor; nothing is served until the reactor runs.
  static Result<std::unique_ptr<HttpServer>> start(Reactor& reactor, HttpServerOptions opts);
  ~HttpServer();  // unregisters; outstanding HttpReplys become no-ops; call on the reactor thread

  // Exact method and path ("GET", "/metrics"). A later route for the same pair replaces it.
  // Unknown path: 404; known path, other method: 405 with Allow.
  void route(std::string method, std::string path, HttpHandler h);
  // Paths starting with `prefix` ("/api/v1/targets/") when no exact route matched; the longest
  // prefix wins.
  void route_prefix(std::string method, std::string prefix, HttpHandler h);

  // The ports actually bound, in the order of opts.listen (for port 0 in tests).
  std::vector<std::uint16_t> bound_ports() const;
  std::size_t requests_served() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::io
