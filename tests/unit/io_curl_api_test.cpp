// io::detail::load_curl: libcurl and OpenSSL are loaded at the first transfer, not linked.
#include <gtest/gtest.h>

#include "io/curl_api.hpp"

namespace reach::io::detail {
namespace {

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
