#include "io/http_client.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>

#include "base/version.hpp"

namespace reach::io {
namespace {

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};
  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
};

bool global_init() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  std::size_t room = t->req->max_body > t->resp->body.size() ? t->req->max_body - t->resp->body.size() : 0;
  t->resp->body.append(data, std::min(len, room));
  return len;
}

Result<void> setup(Transfer& t) {
  t.easy = curl_easy_init();
  if (!t.easy) return fail("curl_easy_init", t.req->url, 0);
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, t.req->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.req->timeout / kNsPerMs));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t.req->timeout / kNsPerMs));
  curl_easy_setopt(e, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, t.req->verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, t.req->verify_tls ? 2L : 0L);
  curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
  if (!t.req->ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, t.req->ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  for (const auto& h : t.req->headers) {
    curl_slist* n = curl_slist_append(t.headers, h.c_str());
    if (!n) return fail("curl_slist_append", h, ENOMEM);
    t.headers = n;
  }
  if (t.headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  return {};
}

TimeNs us(CURL* e, CURLINFO what) {
  curl_off_t v = 0;
  curl_easy_getinfo(e, what, &v);
  return static_cast<TimeNs>(v) * kNsPerUs;
}

void collect(Transfer& t, CURLcode code) {
  HttpResponse& r = *t.resp;
  CURL* e = t.easy;
  r.curl_code = code;
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  r.completed = code == CURLE_OK;
  if (!r.completed) r.error = t.errbuf[0] ? t.errbuf : curl_easy_strerror(code);
  long oserr = 0;
  curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
  r.os_errno = static_cast<int>(oserr);
  r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
  r.resolve_failed = code == CURLE_COULDNT_RESOLVE_HOST;
  r.connect_failed = code == CURLE_COULDNT_CONNECT;
  r.tls_failed = code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
                 code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE;
  r.timings = {us(e, CURLINFO_NAMELOOKUP_TIME_T), us(e, CURLINFO_CONNECT_TIME_T), us(e, CURLINFO_APPCONNECT_TIME_T),
               us(e, CURLINFO_STARTTRANSFER_TIME_T), us(e, CURLINFO_TOTAL_TIME_T)};
  curl_certinfo* ci = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0) {
    for (curl_slist* s = ci->certinfo[0]; s; s = s->next) {
      constexpr const char* kKey = "Expire date:";
      if (std::strncmp(s->data, kKey, std::strlen(kKey)) == 0) r.cert_expire = std::string(s->data + std::strlen(kKey));
    }
  }
}

}  // namespace

Result<std::vector<HttpResponse>> fetch_all(const std::vector<HttpRequest>& reqs, std::size_t concurrency) {
  if (!global_init()) return fail("curl_global_init", "", 0);
  std::vector<HttpResponse> out(reqs.size());
  std::vector<std::unique_ptr<Transfer>> transfers(reqs.size());
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  if (!multi) return fail("curl_multi_init", "", 0);
  std::size_t next = 0, running = 0;
  if (concurrency == 0) concurrency = 1;
  auto add_more = [&]() -> Result<void> {
    while (running < concurrency && next < reqs.size()) {
      auto t = std::make_unique<Transfer>();
      t->req = &reqs[next];
      t->resp = &out[next];
      if (auto r = setup(*t); !r) return r;
      if (curl_multi_add_handle(multi.get(), t->easy) != CURLM_OK) return fail("curl_multi_add_handle", reqs[next].url, 0);
      transfers[next] = std::move(t);
      ++next;
      ++running;
    }
    return {};
  };
  if (auto r = add_more(); !r) return tl::unexpected(r.error());
  while (running > 0) {
    int still = 0;
    if (curl_multi_perform(multi.get(), &still) != CURLM_OK) return fail("curl_multi_perform", "", 0);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
      CURLcode code = m->data.result;
      curl_multi_remove_handle(multi.get(), m->easy_handle);
      if (t) collect(*t, code);
      --running;
    }
    if (auto r = add_more(); !r) return tl::unexpected(r.error());
    if (running > 0 && curl_multi_poll(multi.get(), nullptr, 0, 200, nullptr) != CURLM_OK)
      return fail("curl_multi_poll", "", 0);
  }
  return out;
}

Result<HttpResponse> fetch(const HttpRequest& req) {
  auto r = fetch_all({req}, 1);
  if (!r) return tl::unexpected(r.error());
  return std::move(r->front());
}

}  // namespace reach::io
