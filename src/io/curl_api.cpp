#include "io/curl_api.hpp"

#include "sys/shared_library.hpp"

namespace reach::io::detail {
namespace {

// Debian 12: libcurl4 (the OpenSSL flavour) and libssl3.
constexpr const char* kCurl = "libcurl.so.4";
constexpr const char* kSsl = "libssl.so.3";
constexpr const char* kCrypto = "libcrypto.so.3";

Result<CurlApi> resolve() {
  void* libs[3] = {};
  const char* const names[3] = {kCurl, kSsl, kCrypto};
  for (int i = 0; i < 3; ++i) {
    auto h = sys::load_library(names[i]);
    if (!h) return tl::unexpected(h.error());
    libs[i] = *h;
  }
  CurlApi a{};
  sys::SymbolBinder lib_curl(libs[0], kCurl), lib_ssl(libs[1], kSsl), lib_crypto(libs[2], kCrypto);
  lib_curl(a.global_init, "curl_global_init");
  lib_curl(a.easy_init, "curl_easy_init");
  lib_curl(a.easy_cleanup, "curl_easy_cleanup");
  lib_curl(a.easy_setopt, "curl_easy_setopt");
  lib_curl(a.easy_getinfo, "curl_easy_getinfo");
  lib_curl(a.easy_strerror, "curl_easy_strerror");
  lib_curl(a.slist_append, "curl_slist_append");
  lib_curl(a.slist_free_all, "curl_slist_free_all");
  lib_curl(a.multi_init, "curl_multi_init");
  lib_curl(a.multi_cleanup, "curl_multi_cleanup");
  lib_curl(a.multi_add_handle, "curl_multi_add_handle");
  lib_curl(a.multi_remove_handle, "curl_multi_remove_handle");
  lib_curl(a.multi_setopt, "curl_multi_setopt");
  lib_curl(a.multi_perform, "curl_multi_perform");
  lib_curl(a.multi_poll, "curl_multi_poll");
  lib_curl(a.multi_info_read, "curl_multi_info_read");
  lib_curl(a.multi_strerror, "curl_multi_strerror");
  lib_curl(a.multi_socket_action, "curl_multi_socket_action");
  lib_ssl(a.ssl_get_version, "SSL_get_version");
  lib_ssl(a.ssl_get1_peer_certificate, "SSL_get1_peer_certificate");
  lib_ssl(a.ssl_get_peer_cert_chain, "SSL_get_peer_cert_chain");
  lib_crypto(a.x509_free, "X509_free");
  lib_crypto(a.x509_get0_not_after, "X509_get0_notAfter");
  lib_crypto(a.asn1_time_to_tm, "ASN1_TIME_to_tm");
  lib_crypto(a.sk_num, "OPENSSL_sk_num");
  lib_crypto(a.sk_value, "OPENSSL_sk_value");
  for (const auto* b : {&lib_curl, &lib_ssl, &lib_crypto})
    if (auto ok = b->status(); !ok) return tl::unexpected(ok.error());
  if (a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return fail("curl_global_init", "", 0);
  return a;
}

}  // namespace

Result<const CurlApi*> load_curl() {
  static const Result<CurlApi> api = resolve();
  if (!api) return tl::unexpected(api.error());
  return &*api;
}

const CurlApi& curl() { return **load_curl(); }

}  // namespace reach::io::detail
