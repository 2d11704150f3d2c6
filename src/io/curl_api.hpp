#pragma once
// libcurl's functions, and the few of OpenSSL's that read a TLS session's certificates, loaded
// at the first HTTP or SMTP transfer (dlopen), not linked: guard maps libcurl for its webhook
// notifiers only, and with it OpenSSL, Kerberos, LDAP and GnuTLS (~4 MiB of RSS). Each pointer
// has the type of the declaration in <curl/curl.h> or <openssl/*.h>. Internal to io/.
#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <type_traits>

#include "base/error.hpp"

namespace reach::io::detail {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;  // variadic: the caller passes the option's own type
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_strerror) multi_strerror;
  decltype(&::curl_multi_socket_action) multi_socket_action;
  // OpenSSL (libssl.so.3, libcrypto.so.3: libcurl4's TLS backend, already mapped with it).
  decltype(&::SSL_get_version) ssl_get_version;
  decltype(&::SSL_get1_peer_certificate) ssl_get1_peer_certificate;
  decltype(&::SSL_get_peer_cert_chain) ssl_get_peer_cert_chain;
  decltype(&::X509_free) x509_free;
  decltype(&::X509_get0_notAfter) x509_get0_not_after;
  decltype(&::ASN1_TIME_to_tm) asn1_time_to_tm;
  decltype(&::OPENSSL_sk_num) sk_num;
  decltype(&::OPENSSL_sk_value) sk_value;
};

// Loads the libraries and runs curl_global_init, once per process (thread-safe). Error: {op
// "load", addr SONAME, 0, why} for a missing library or function, {op "curl_global_init"}.
Result<const CurlApi*> load_curl();

// The table; only after load_curl() succeeded (every transfer starts there).
const CurlApi& curl();

// Whether option O (CURLoption, CURLMoption) takes a T: its number says which type
// (CURLOPTTYPE_*). Through the variadic call another type is undefined behaviour, and C++ gets
// no <curl/typecheck-gcc.h>: setopt, multi_setopt and getinfo below check it at compile time.
template <class T>
inline constexpr bool kIsCallback = std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>;

template <long O, class T>
constexpr bool option_takes() {
  switch (O / 10000 * 10000) {
    case CURLOPTTYPE_LONG: return std::is_same_v<T, long>;
    case CURLOPTTYPE_OBJECTPOINT: return std::is_pointer_v<T> && !kIsCallback<T>;
    case CURLOPTTYPE_FUNCTIONPOINT: return kIsCallback<T>;
    case CURLOPTTYPE_OFF_T: return std::is_same_v<T, curl_off_t>;
    default: return false;  // blobs: none used
  }
}

// Whether CURLINFO I fills a T (a pointer): its type bits (CURLINFO_TYPEMASK) say which.
template <long I, class T>
constexpr bool info_fills() {
  using V = std::remove_pointer_t<T>;
  if (!std::is_pointer_v<T>) return false;
  switch (I & CURLINFO_TYPEMASK) {
    case CURLINFO_LONG: return std::is_same_v<V, long>;
    case CURLINFO_OFF_T: return std::is_same_v<V, curl_off_t>;
    case CURLINFO_DOUBLE: return std::is_same_v<V, double>;
    case CURLINFO_STRING:  // char*, or CURLINFO_PRIVATE's own pointer
    case CURLINFO_PTR: return std::is_pointer_v<V> && !kIsCallback<V>;
    case CURLINFO_SOCKET: return std::is_same_v<V, curl_socket_t>;
    default: return false;
  }
}

template <CURLoption O, class T>
CURLcode setopt(CURL* e, T v) {
  static_assert(option_takes<O, T>(), "curl_easy_setopt: not the option's type (long, curl_off_t, pointer, callback)");
  return curl().easy_setopt(e, O, v);
}

template <CURLMoption O, class T>
CURLMcode multi_setopt(CURLM* m, T v) {
  static_assert(option_takes<O, T>(), "curl_multi_setopt: not the option's type (long, curl_off_t, pointer, callback)");
  return curl().multi_setopt(m, O, v);
}

template <CURLINFO I, class T>
CURLcode getinfo(CURL* e, T out) {
  static_assert(info_fills<I, T>(), "curl_easy_getinfo: not a pointer to the info's type");
  return curl().easy_getinfo(e, I, out);
}

}  // namespace reach::io::detail
