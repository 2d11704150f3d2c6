#pragma once
// HTTP(S) with libcurl: one blocking fetch (load balancer APIs), or many requests at once on
// the multi interface (checks), with curl's timings and the server certificate's expiry.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "model/check.hpp"

namespace reach::io {

// With HttpRequest::mail set, the request is an SMTP submission (smtp:// or smtps:// URL): `body`
// is the whole RFC 5322 message, sent after DATA; the response's status is the server's last
// reply code (250 when it accepted the message).
struct MailEnvelope {
  std::string from;                 // MAIL FROM address ("reach@example.net", no display name)
  std::vector<std::string> rcpt;    // RCPT TO addresses
  std::string username, password;   // AUTH when username is not empty
  bool require_tls = false;         // smtp://: STARTTLS or fail (smtps:// is TLS anyway)
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  TimeNs timeout = 2 * kNsPerSec;
  bool verify_tls = true;
  std::string ca_file;               // trust these CA certificates instead of the system's
  std::size_t max_body = 1 << 20;    // bytes kept; the rest is read and dropped
  // Added for watch; kept after the fields above because check builds requests positionally.
  std::string method;                // empty: GET, or POST when `body` is set; else as given
  std::optional<std::string> body;   // request body (POST); Content-Type goes in `headers`
  long max_redirects = 0;            // redirects followed (0: none, the 3xx is the answer)
  std::optional<MailEnvelope> mail;  // set: SMTP instead of HTTP (see MailEnvelope)
  // > 0: the transfer stops once this many bytes of body came; the response counts as complete
  // (status and body as read, HttpResponse::truncated). 0: the whole body is read (max_body of it kept).
  std::uint64_t body_limit = 0;
  // Set to true (from any thread): the transfer ends within about a second, as failed. For a
  // blocking fetch() on a helper thread that must not hold a daemon's stop.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

struct HttpResponse {
  bool completed = false;   // a response arrived (any status); false: `error` says why not
  int curl_code = 0;        // CURLcode
  std::string error;        // curl's words for a failed transfer
  int os_errno = 0;         // errno behind a failed connect
  int status = 0;
  std::string body;
  model::HttpTimings timings;
  std::optional<std::string> cert_expire;  // OpenSSL's text of the server certificate's notAfter
  // The server certificate's notAfter and the earliest notAfter of the chain it sent, as unix
  // seconds (blackbox's probe_ssl_earliest_cert_expiry); nullopt without TLS.
  std::optional<std::int64_t> cert_expiry_unix;
  std::optional<std::int64_t> chain_earliest_expiry_unix;
  std::string tls_version;     // "TLSv1.3"; empty without TLS
  std::string http_version;    // "1.0", "1.1", "2", "3"; empty when no response
  int redirects = 0;           // redirects followed
  std::int64_t content_length = -1;  // bytes of body received (all of it, also beyond max_body)
  std::string effective_url;         // the URL answered last (after redirects)
  bool timed_out = false;
  bool tls_failed = false;  // handshake or verification failed
  bool connect_failed = false;
  bool resolve_failed = false;
  bool truncated = false;   // the body reached HttpRequest::body_limit: the transfer stopped there
};

// One request, blocking. Errors only when curl cannot even be set up.
Result<HttpResponse> fetch(const HttpRequest& req);
// Many requests, at most `concurrency` in flight; responses in request order.
Result<std::vector<HttpResponse>> fetch_all(const std::vector<HttpRequest>& reqs, std::size_t concurrency);

}  // namespace reach::io
