#include "io/curl_api.hpp"

#include <string>
#include <type_traits>

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
  Error missing;
  auto bind = [&](int lib, auto& slot, const char* name) {
    void* p = sys::library_symbol(libs[lib], name);
    if (!p && missing.op.empty()) missing = Error{"load", names[lib], 0, std::string("no symbol ") + name};
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(p);
  };
  bind(0, a.global_init, "curl_global_init");
  bind(0, a.easy_init, "curl_easy_init");
  bind(0, a.easy_cleanup, "curl_easy_cleanup");
  bind(0, a.easy_setopt, "curl_easy_setopt");
  bind(0, a.easy_getinfo, "curl_easy_getinfo");
  bind(0, a.easy_strerror, "curl_easy_strerror");
  bind(0, a.slist_append, "curl_slist_append");
  bind(0, a.slist_free_all, "curl_slist_free_all");
  bind(0, a.multi_init, "curl_multi_init");
  bind(0, a.multi_cleanup, "curl_multi_cleanup");
  bind(0, a.multi_add_handle, "curl_multi_add_handle");
  bind(0, a.multi_remove_handle, "curl_multi_remove_handle");
  bind(0, a.multi_setopt, "curl_multi_setopt");
  bind(0, a.multi_perform, "curl_multi_perform");
  bind(0, a.multi_poll, "curl_multi_poll");
  bind(0, a.multi_info_read, "curl_multi_info_read");
  bind(0, a.multi_strerror, "curl_multi_strerror");
  bind(0, a.multi_socket_action, "curl_multi_socket_action");
  bind(1, a.ssl_get_version, "SSL_get_version");
  bind(1, a.ssl_get1_peer_certificate, "SSL_get1_peer_certificate");
  bind(1, a.ssl_get_peer_cert_chain, "SSL_get_peer_cert_chain");
  bind(2, a.x509_free, "X509_free");
  bind(2, a.x509_get0_not_after, "X509_get0_notAfter");
  bind(2, a.asn1_time_to_tm, "ASN1_TIME_to_tm");
  bind(2, a.sk_num, "OPENSSL_sk_num");
  bind(2, a.sk_value, "OPENSSL_sk_value");
  if (!missing.op.empty()) return tl::unexpected(missing);
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
