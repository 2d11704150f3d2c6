#pragma once
// One libcurl easy transfer built from an HttpRequest and read back into an HttpResponse:
// shared by the blocking client (http_client, check) and the reactor-driven one (http_async,
// watch), so both send and report requests the same way. Internal to io/.
#include "io/curl_api.hpp"
#include "io/http_client.hpp"

namespace reach::io::detail {

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* rcpt = nullptr;      // SMTP recipients
  std::size_t uploaded = 0;        // SMTP: bytes of req->body handed to curl so far
  std::uint64_t received = 0;      // bytes of body read so far (up to req->body_limit)
  char errbuf[CURL_ERROR_SIZE] = {};
  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();
};

// Creates t.easy with every option of *t.req; CURLOPT_PRIVATE points at `t`. After load_curl().
Result<void> setup(Transfer& t);
// Fills *t.resp after curl finished the transfer with `code`.
void collect(Transfer& t, CURLcode code);

}  // namespace reach::io::detail
