#pragma once
// libcurl's functions, and the few of OpenSSL's that read a TLS session's certificates, loaded
// at the first HTTP or SMTP transfer (dlopen), not linked: guard maps libcurl for its webhook
// notifiers only, and with it OpenSSL, Kerberos, LDAP and GnuTLS (~4 MiB of RSS). Each pointer
// has the type of the declaration in <curl/curl.h> or <openssl/*.h>. Internal to io/.
#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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

}  // namespace reach::io::detail
