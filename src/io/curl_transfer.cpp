#include "io/curl_transfer.hpp"

#include "base/version.hpp"


#include <algorithm>
#include <cstring>
#include <ctime>

namespace reach::io::detail {
namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  std::size_t take = len;
  // At the limit the transfer stops: a short count makes curl end it (CURLE_WRITE_ERROR, which
  // collect() reads as a complete response). A body that streams for ever is then up, not a timeout.
  if (const std::uint64_t limit = t->req->body_limit; limit > 0 && len > limit - t->received) {
    take = static_cast<std::size_t>(limit - t->received);
    t->resp->truncated = true;
  }
  t->received += take;
  std::size_t room = t->req->max_body > t->resp->body.size() ? t->req->max_body - t->resp->body.size() : 0;
  t->resp->body.append(data, std::min(take, room));
  return take;
}

// SMTP: curl pulls the message (after DATA) through this.
std::size_t on_upload(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string& body = *t->req->body;
  std::size_t len = std::min(size * n, body.size() - t->uploaded);
  std::memcpy(buf, body.data() + t->uploaded, len);
  t->uploaded += len;
  return len;
}

// curl calls it at least once a second, also while it waits blocking for an SMTP reply.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* t = static_cast<const Transfer*>(user);
  return t->req->cancel->load() ? 1 : 0;
}

// The SMTP options of a request with a mail envelope; no HTTP option applies to it.
Result<void> setup_mail(Transfer& t) {
  CURL* e = t.easy;
  const HttpRequest& q = *t.req;
  const MailEnvelope& m = *q.mail;
  setopt<CURLOPT_PROTOCOLS_STR>(e, "smtp,smtps");
  setopt<CURLOPT_MAIL_FROM>(e, m.from.c_str());
  for (const auto& r : m.rcpt) {
    curl_slist* n = curl().slist_append(t.rcpt, r.c_str());
    if (!n) return fail("curl_slist_append", r, ENOMEM);
    t.rcpt = n;
  }
  setopt<CURLOPT_MAIL_RCPT>(e, t.rcpt);
  if (!m.username.empty()) {
    setopt<CURLOPT_USERNAME>(e, m.username.c_str());
    setopt<CURLOPT_PASSWORD>(e, m.password.c_str());
  }
  if (m.require_tls) setopt<CURLOPT_USE_SSL>(e, static_cast<long>(CURLUSESSL_ALL));
  setopt<CURLOPT_UPLOAD>(e, 1L);
  setopt<CURLOPT_READFUNCTION>(e, on_upload);
  setopt<CURLOPT_READDATA>(e, &t);
  setopt<CURLOPT_INFILESIZE_LARGE>(e, static_cast<curl_off_t>(q.body ? q.body->size() : 0));
  // A connection per message, closed at its end: curl then says goodbye (QUIT) with this
  // transfer's options (its cancel) instead of at the cleanup of its cache, where nothing ends
  // the wait; and each reply within the timeout, the goodbye's too (curl's own default: 120 s).
  setopt<CURLOPT_FORBID_REUSE>(e, 1L);
  setopt<CURLOPT_SERVER_RESPONSE_TIMEOUT>(e, std::max(1L, static_cast<long>((q.timeout + kNsPerSec - 1) / kNsPerSec)));
  return {};
}

std::optional<std::int64_t> not_after(const X509* cert) {
  const ASN1_TIME* t = curl().x509_get0_not_after(cert);
  std::tm tm{};
  if (!t || curl().asn1_time_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

// Runs once the connection is up, before the request is sent: the only moment the TLS
// session is sure to be reachable (after the transfer the connection may be closed or cached).
int on_connected(void* user, char*, char*, int, int) {
  auto* t = static_cast<Transfer*>(user);
  curl_tlssessioninfo* info = nullptr;
  if (getinfo<CURLINFO_TLS_SSL_PTR>(t->easy, &info) != CURLE_OK || !info ||
      info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
    return CURL_PREREQFUNC_OK;
  auto* ssl = static_cast<SSL*>(info->internals);
  HttpResponse& r = *t->resp;
  r.tls_version = curl().ssl_get_version(ssl);
  if (X509* leaf = curl().ssl_get1_peer_certificate(ssl)) {
    r.cert_expiry_unix = not_after(leaf);
    curl().x509_free(leaf);
  }
  if (STACK_OF(X509)* chain = curl().ssl_get_peer_cert_chain(ssl)) {
    const auto* stack = reinterpret_cast<const OPENSSL_STACK*>(chain);  // what sk_X509_num() passes on
    for (int i = 0; i < curl().sk_num(stack); ++i) {
      auto e = not_after(static_cast<const X509*>(curl().sk_value(stack, i)));
      if (e && (!r.chain_earliest_expiry_unix || *e < *r.chain_earliest_expiry_unix)) r.chain_earliest_expiry_unix = e;
    }
  }
  return CURL_PREREQFUNC_OK;
}

template <CURLINFO What>
TimeNs us(CURL* e) {
  curl_off_t v = 0;
  getinfo<What>(e, &v);
  return static_cast<TimeNs>(v) * kNsPerUs;
}

}  // namespace

Transfer::~Transfer() {
  if (headers) curl().slist_free_all(headers);
  if (rcpt) curl().slist_free_all(rcpt);
  if (easy) curl().easy_cleanup(easy);
}

Result<void> setup(Transfer& t) {
  t.easy = curl().easy_init();
  if (!t.easy) return fail("curl_easy_init", t.req->url, 0);
  CURL* e = t.easy;
  const HttpRequest& q = *t.req;
  setopt<CURLOPT_URL>(e, q.url.c_str());
  setopt<CURLOPT_NOSIGNAL>(e, 1L);
  setopt<CURLOPT_TIMEOUT_MS>(e, static_cast<long>(q.timeout / kNsPerMs));
  setopt<CURLOPT_CONNECTTIMEOUT_MS>(e, static_cast<long>(q.timeout / kNsPerMs));
  setopt<CURLOPT_USERAGENT>(e, kUserAgent);
  setopt<CURLOPT_ERRORBUFFER>(e, t.errbuf);
  setopt<CURLOPT_WRITEFUNCTION>(e, on_body);
  setopt<CURLOPT_WRITEDATA>(e, &t);
  setopt<CURLOPT_PREREQFUNCTION>(e, on_connected);
  setopt<CURLOPT_PREREQDATA>(e, &t);
  setopt<CURLOPT_SSL_VERIFYPEER>(e, q.verify_tls ? 1L : 0L);
  setopt<CURLOPT_SSL_VERIFYHOST>(e, q.verify_tls ? 2L : 0L);
  setopt<CURLOPT_CERTINFO>(e, 1L);
  if (!q.ca_file.empty()) setopt<CURLOPT_CAINFO>(e, q.ca_file.c_str());
  setopt<CURLOPT_PRIVATE>(e, &t);
  if (q.cancel) {
    setopt<CURLOPT_NOPROGRESS>(e, 0L);
    setopt<CURLOPT_XFERINFOFUNCTION>(e, on_progress);
    setopt<CURLOPT_XFERINFODATA>(e, &t);
  }
  if (q.mail) {
    if (!q.body) return fail("smtp", q.url, EINVAL, "no message");
    return setup_mail(t);
  }
  setopt<CURLOPT_PROTOCOLS_STR>(e, "http,https");
  if (q.max_redirects > 0) {
    setopt<CURLOPT_FOLLOWLOCATION>(e, 1L);
    setopt<CURLOPT_MAXREDIRS>(e, q.max_redirects);
    setopt<CURLOPT_REDIR_PROTOCOLS_STR>(e, "http,https");
  }
  if (q.body) {
    setopt<CURLOPT_POSTFIELDSIZE_LARGE>(e, static_cast<curl_off_t>(q.body->size()));
    setopt<CURLOPT_COPYPOSTFIELDS>(e, q.body->c_str());
  }
  if (q.method == "HEAD")
    setopt<CURLOPT_NOBODY>(e, 1L);
  else if (!q.method.empty() && q.method != "GET" && q.method != "POST")
    setopt<CURLOPT_CUSTOMREQUEST>(e, q.method.c_str());
  else if (q.method == "POST" && !q.body)
    setopt<CURLOPT_POSTFIELDSIZE>(e, 0L), setopt<CURLOPT_COPYPOSTFIELDS>(e, "");
  for (const auto& h : q.headers) {
    curl_slist* n = curl().slist_append(t.headers, h.c_str());
    if (!n) return fail("curl_slist_append", h, ENOMEM);
    t.headers = n;
  }
  if (t.headers) setopt<CURLOPT_HTTPHEADER>(e, t.headers);
  return {};
}

void collect(Transfer& t, CURLcode code) {
  HttpResponse& r = *t.resp;
  CURL* e = t.easy;
  r.curl_code = code;
  long status = 0;
  getinfo<CURLINFO_RESPONSE_CODE>(e, &status);
  r.status = static_cast<int>(status);
  r.completed = code == CURLE_OK || (code == CURLE_WRITE_ERROR && r.truncated);
  if (!r.completed) r.error = t.errbuf[0] ? t.errbuf : curl().easy_strerror(code);
  long oserr = 0;
  getinfo<CURLINFO_OS_ERRNO>(e, &oserr);
  r.os_errno = static_cast<int>(oserr);
  r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
  r.resolve_failed = code == CURLE_COULDNT_RESOLVE_HOST;
  r.connect_failed = code == CURLE_COULDNT_CONNECT;
  r.tls_failed = code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
                 code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE;
  r.timings = {us<CURLINFO_NAMELOOKUP_TIME_T>(e), us<CURLINFO_CONNECT_TIME_T>(e), us<CURLINFO_APPCONNECT_TIME_T>(e),
               us<CURLINFO_STARTTRANSFER_TIME_T>(e), us<CURLINFO_TOTAL_TIME_T>(e)};
  long ver = 0;
  getinfo<CURLINFO_HTTP_VERSION>(e, &ver);
  r.http_version = ver == CURL_HTTP_VERSION_1_0   ? "1.0"
                   : ver == CURL_HTTP_VERSION_1_1 ? "1.1"
                   : ver == CURL_HTTP_VERSION_2_0 ? "2"
                   : ver == CURL_HTTP_VERSION_3   ? "3"
                                                  : "";
  long redirects = 0;
  getinfo<CURLINFO_REDIRECT_COUNT>(e, &redirects);
  r.redirects = static_cast<int>(redirects);
  curl_off_t got = 0;
  if (getinfo<CURLINFO_SIZE_DOWNLOAD_T>(e, &got) == CURLE_OK && status > 0) r.content_length = got;
  if (r.truncated) r.content_length = static_cast<std::int64_t>(t.received);  // not the chunk refused
  char* url = nullptr;
  if (getinfo<CURLINFO_EFFECTIVE_URL>(e, &url) == CURLE_OK && url) r.effective_url = url;
  curl_certinfo* ci = nullptr;
  if (getinfo<CURLINFO_CERTINFO>(e, &ci) == CURLE_OK && ci && ci->num_of_certs > 0) {
    for (curl_slist* s = ci->certinfo[0]; s; s = s->next) {
      constexpr const char* kKey = "Expire date:";
      if (std::strncmp(s->data, kKey, std::strlen(kKey)) == 0) r.cert_expire = std::string(s->data + std::strlen(kKey));
    }
  }
}

}  // namespace reach::io::detail
