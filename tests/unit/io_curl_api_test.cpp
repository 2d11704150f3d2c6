// io::detail::load_curl: libcurl and OpenSSL are loaded at the first transfer, not linked.
#include <gtest/gtest.h>

#include <string>

#include "io/curl_api.hpp"

namespace reach::io::detail {
namespace {

// What the variadic setopt/getinfo may be given, checked at compile time as curl's
// typecheck-gcc.h checks C callers: an int, a size_t or a std::string where curl reads a long,
// a curl_off_t or a pointer is undefined behaviour, and compiled quietly through the table.
using WriteCb = std::size_t (*)(char*, std::size_t, std::size_t, void*);
static_assert(option_takes<CURLOPT_MAXREDIRS, long>());
static_assert(!option_takes<CURLOPT_MAXREDIRS, int>());
static_assert(!option_takes<CURLOPT_TIMEOUT_MS, bool>());
static_assert(option_takes<CURLOPT_URL, const char*>());
static_assert(!option_takes<CURLOPT_URL, std::string>());
static_assert(option_takes<CURLOPT_INFILESIZE_LARGE, curl_off_t>());
static_assert(!option_takes<CURLOPT_INFILESIZE_LARGE, std::size_t>());
static_assert(option_takes<CURLOPT_WRITEFUNCTION, WriteCb>());
static_assert(!option_takes<CURLOPT_WRITEFUNCTION, void*>());
static_assert(!option_takes<CURLOPT_WRITEDATA, WriteCb>());
static_assert(option_takes<CURLMOPT_TIMERDATA, void*>());
static_assert(info_fills<CURLINFO_RESPONSE_CODE, long*>());
static_assert(!info_fills<CURLINFO_RESPONSE_CODE, int*>());
static_assert(info_fills<CURLINFO_TOTAL_TIME_T, curl_off_t*>());
static_assert(!info_fills<CURLINFO_TOTAL_TIME_T, double*>());
static_assert(info_fills<CURLINFO_EFFECTIVE_URL, char**>());
static_assert(!info_fills<CURLINFO_EFFECTIVE_URL, std::string*>());
static_assert(info_fills<CURLINFO_CERTINFO, curl_certinfo**>());

TEST(CurlApi, EveryFunctionResolvesOnceAndCurlRuns) {
  auto api = load_curl();
  ASSERT_TRUE(api) << api.error().message();
  EXPECT_EQ(*api, *load_curl());  // loaded and initialised once
  const CurlApi& c = curl();
  // A transfer's life without the network: an easy handle, an option, a header list, the
  // strerror of a code; then OpenSSL's stack count of nothing.
  CURL* e = c.easy_init();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(c.easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L), CURLE_OK);
  curl_slist* h = c.slist_append(nullptr, "X-Test: 1");
  ASSERT_NE(h, nullptr);
  EXPECT_STREQ(h->data, "X-Test: 1");
  c.slist_free_all(h);
  EXPECT_STREQ(c.easy_strerror(CURLE_COULDNT_CONNECT), "Couldn't connect to server");
  c.easy_cleanup(e);
  CURLM* m = c.multi_init();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(c.multi_cleanup(m), CURLM_OK);
  EXPECT_EQ(c.sk_num(nullptr), -1);  // OpenSSL: no stack
  for (const void* p : {reinterpret_cast<const void*>(c.ssl_get_version),
                        reinterpret_cast<const void*>(c.ssl_get1_peer_certificate),
                        reinterpret_cast<const void*>(c.ssl_get_peer_cert_chain), reinterpret_cast<const void*>(c.x509_free),
                        reinterpret_cast<const void*>(c.x509_get0_not_after), reinterpret_cast<const void*>(c.asn1_time_to_tm),
                        reinterpret_cast<const void*>(c.sk_value), reinterpret_cast<const void*>(c.multi_socket_action),
                        reinterpret_cast<const void*>(c.multi_poll), reinterpret_cast<const void*>(c.multi_info_read)})
    EXPECT_NE(p, nullptr);
}

}  // namespace
}  // namespace reach::io::detail
