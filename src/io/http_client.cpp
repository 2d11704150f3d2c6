#include "io/http_client.hpp"

#include <memory>

#include "io/curl_transfer.hpp"

namespace reach::io {
using detail::collect;
using detail::setup;
using detail::Transfer;

Result<std::vector<HttpResponse>> fetch_all(const std::vector<HttpRequest>& reqs, std::size_t concurrency) {
  if (auto api = detail::load_curl(); !api) return tl::unexpected(api.error());
  std::vector<HttpResponse> out(reqs.size());
  std::vector<std::unique_ptr<Transfer>> transfers(reqs.size());
  std::unique_ptr<CURLM, decltype(detail::CurlApi::multi_cleanup)> multi(detail::curl().multi_init(),
                                                                          detail::curl().multi_cleanup);
  if (!multi) return fail("curl_multi_init", "", 0);
  std::size_t next = 0, running = 0;
  if (concurrency == 0) concurrency = 1;
  auto add_more = [&]() -> Result<void> {
    while (running < concurrency && next < reqs.size()) {
      auto t = std::make_unique<Transfer>();
      t->req = &reqs[next];
      t->resp = &out[next];
      if (auto r = setup(*t); !r) return r;
      if (detail::curl().multi_add_handle(multi.get(), t->easy) != CURLM_OK) return fail("curl_multi_add_handle", reqs[next].url, 0);
      transfers[next] = std::move(t);
      ++next;
      ++running;
    }
    return {};
  };
  if (auto r = add_more(); !r) return tl::unexpected(r.error());
  while (running > 0) {
    int still = 0;
    if (detail::curl().multi_perform(multi.get(), &still) != CURLM_OK) return fail("curl_multi_perform", "", 0);
    int left = 0;
    while (CURLMsg* m = detail::curl().multi_info_read(multi.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      detail::getinfo<CURLINFO_PRIVATE>(m->easy_handle, &t);
      CURLcode code = m->data.result;
      detail::curl().multi_remove_handle(multi.get(), m->easy_handle);
      if (t) collect(*t, code);
      --running;
    }
    if (auto r = add_more(); !r) return tl::unexpected(r.error());
    if (running > 0 && detail::curl().multi_poll(multi.get(), nullptr, 0, 200, nullptr) != CURLM_OK)
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
