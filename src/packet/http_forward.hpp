#pragma once
// The client-to-backend stream of `reach relay --http`: every request head is parsed by llhttp
// (Node.js's parser, compiled from Debian's node-llhttp sources; docs/RELAY.md says why not
// http-parser) and rebuilt with the client's address in `Forwarded` (RFC 7239, IPv6 quoted and
// bracketed), `X-Forwarded-For` and `X-Forwarded-Proto`. The client's own copies of those
// headers are dropped unless the client is a trusted upstream, whose values are kept and ours
// appended. Bodies (Content-Length or chunked, as llhttp frames them) pass byte for byte, so
// every request of a keep-alive connection gets its headers; after an Upgrade/CONNECT the rest
// of the stream passes untouched. Pure (fuzzed by tests/fuzz/fuzz_http_forward.cpp).
#include <cstdint>
#include <memory>
#include <string>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet {

struct ForwardFor {
  IpAddr client;               // v4-mapped addresses are written as IPv4
  std::uint16_t client_port = 0;
  std::string proto = "http";  // X-Forwarded-Proto, Forwarded proto=
  bool trusted = false;        // keep the client's own Forwarded/X-Forwarded-* and append
};

// `for="[2001:db8::5]:41234"` or `for="198.18.0.7:41234"` (RFC 7239 §6: a node with a port is a
// quoted string; IPv6 in brackets).
std::string forwarded_node(const IpAddr& a, std::uint16_t port);

class HttpForward {
 public:
  explicit HttpForward(ForwardFor who, std::size_t max_head = 16 * 1024);
  ~HttpForward();
  HttpForward(const HttpForward&) = delete;
  HttpForward& operator=(const HttpForward&) = delete;

  enum class Status : std::uint8_t { ok, bad_request, head_too_large };
  // Client bytes in, what the backend gets appended to `out`. After an error nothing more is
  // accepted (the connection gets a 400/431 and is closed).
  Status feed(Bytes in, Buffer& out);
  // Inside a request head that is not complete yet (bytes held back, not yet in `out`).
  bool in_head() const;
  std::size_t heads() const;   // request heads rewritten so far
  std::string error() const;   // llhttp's reason after bad_request

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::packet
