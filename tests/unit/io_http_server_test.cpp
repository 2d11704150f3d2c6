// The embedded server on loopback: the reactor serves on this thread while client threads send
// requests with io::fetch (libcurl), so a handler that blocked the loop would show as a timeout.
#include "io/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "io/http_client.hpp"
#include "io/mhd_api.hpp"

namespace reach::io {
namespace {

struct HttpServerLoop : ::testing::Test {
  std::unique_ptr<Reactor> reactor;
  std::unique_ptr<HttpServer> server;
  std::string base;

  void SetUp() override {
    detail_init_curl();
    auto r = Reactor::create();
    ASSERT_TRUE(r.has_value());
    reactor = std::move(*r);
    HttpServerOptions o;
    o.listen = {"127.0.0.1:0"};
    o.allow_port_zero = true;
    o.connection_timeout_s = 1;
    auto s = HttpServer::start(*reactor, o);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server = std::move(*s);
    base = "http://127.0.0.1:" + std::to_string(server->bound_ports().at(0));
  }
  static void detail_init_curl() { (void)fetch(HttpRequest{}); }  // curl_global_init before threads

  // Runs the loop until `done` holds (checked every 2 ms), at most 10 s.
  void run_until(const std::function<bool()>& done) {
    auto start = std::chrono::steady_clock::now();
    std::function<void()> check = [&] {
      if (done() || std::chrono::steady_clock::now() - start > std::chrono::seconds(10)) {
        reactor->stop();
        return;
      }
      reactor->after(2 * kNsPerMs, check);
    };
    reactor->after(0, check);
    ASSERT_TRUE(reactor->run().has_value());
    ASSERT_TRUE(done()) << "timed out";
  }

  HttpResponse get_on_thread(HttpRequest req) {
    HttpResponse out;
    std::atomic<bool> done = false;
    std::thread t([&] {
      auto r = fetch(req);
      if (r) out = *r;
      done = true;
    });
    run_until([&] { return done.load(); });
    t.join();
    return out;
  }
  HttpRequest req(const std::string& path) {
    HttpRequest q;
    q.url = base + path;
    q.timeout = 5 * kNsPerSec;
    return q;
  }
};

TEST_F(HttpServerLoop, RoutesQueryHeadersAndErrors) {
  server->route("GET", "/echo", [](const HttpServerRequest& rq, HttpReply reply) {
    HttpServerResponse r;
    r.body = "a=" + *rq.param("a") + " x=" + *rq.header("X-TEST") + " peer4=" + std::to_string(rq.peer.rfind("127.0.0.1:", 0) == 0);
    r.headers.emplace_back("X-Reply", "yes");
    reply.send(r);
  });
  server->route("POST", "/post", [](const HttpServerRequest&, HttpReply reply) { reply.send({}); });
  auto q = req("/echo?a=x%20y%26z&b=2");
  q.headers = {"x-Test: Hello"};
  auto r = get_on_thread(q);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "a=x y&z x=Hello peer4=1");
  EXPECT_EQ(get_on_thread(req("/nothing")).status, 404);
  EXPECT_EQ(get_on_thread(req("/post")).status, 405);
  // HEAD is answered as GET, without the body.
  auto head = req("/echo?a=1");
  head.headers = {"x-Test: h"};
  head.method = "HEAD";
  const auto h = get_on_thread(head);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "");
}

TEST_F(HttpServerLoop, PrefixRoutesLongestWins) {
  server->route_prefix("GET", "/api/", [](const HttpServerRequest&, HttpReply reply) {
    HttpServerResponse r;
    r.body = "short";
    reply.send(r);
  });
  server->route_prefix("GET", "/api/v1/targets/", [](const HttpServerRequest& rq, HttpReply reply) {
    HttpServerResponse r;
    r.body = rq.path.substr(16);
    reply.send(r);
  });
  EXPECT_EQ(get_on_thread(req("/api/v1/targets/web1")).body, "web1");
  EXPECT_EQ(get_on_thread(req("/api/other")).body, "short");
}

// A %00 would cut the decoded path or query value at the NUL (web1%00x answering for web1, or
// /probe?target=a%00b probing a): the request is refused, and the connection serves on.
TEST_F(HttpServerLoop, ANulInThePathOrAQueryValueIsRefused) {
  server->route_prefix("GET", "/t/", [](const HttpServerRequest& rq, HttpReply reply) {
    HttpServerResponse r;
    r.body = rq.path.substr(3) + "|" + (rq.param("target") ? *rq.param("target") : "");
    reply.send(r);
  });
  const auto cut = get_on_thread(req("/t/web1%00x"));
  EXPECT_EQ(cut.status, 400);
  EXPECT_EQ(cut.body.find("web1"), std::string::npos);
  EXPECT_EQ(get_on_thread(req("/t/web1?target=a%00b")).status, 400);
  const auto ok = get_on_thread(req("/t/web1%2500?target=a%20b"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "web1%00|a b");
}

TEST_F(HttpServerLoop, PostBodyAndOversizedBodyGets413) {
  server->route("POST", "/len", [](const HttpServerRequest& rq, HttpReply reply) {
    HttpServerResponse r;
    r.body = std::to_string(rq.body.size());
    reply.send(r);
  });
  auto small = req("/len");
  small.body = std::string(1000, 'a');
  auto r = get_on_thread(small);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "1000");
  auto exact = req("/len");
  exact.body = std::string(1 << 20, 'b');
  EXPECT_EQ(get_on_thread(exact).body, std::to_string(1 << 20));
  auto big = req("/len");
  big.body = std::string(2 << 20, 'c');
  EXPECT_EQ(get_on_thread(big).status, 413);
  // Chunked: no Content-Length up front, the limit is found while reading.
  auto chunked = req("/len");
  chunked.body = std::string(2 << 20, 'd');
  chunked.headers = {"Transfer-Encoding: chunked"};
  EXPECT_EQ(get_on_thread(chunked).status, 413);
  EXPECT_EQ(get_on_thread(small).body, "1000");  // still serving
}

TEST_F(HttpServerLoop, SlowAsyncReplyDoesNotHoldUpOtherRequests) {
  // The slow reply is held until every fast request has been answered: if the server waited
  // for it, the fast ones would never finish and the test would time out.
  std::atomic<int> done = 0;
  std::atomic<bool> slow_arrived = false;
  server->route("GET", "/slow", [this, &done, &slow_arrived](const HttpServerRequest&, HttpReply reply) {
    slow_arrived = true;
    auto held = std::make_shared<HttpReply>(std::move(reply));
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, &done, held, poll] {
      if (done.load() < 4) {
        reactor->after(5 * kNsPerMs, *poll);
        return;
      }
      HttpServerResponse r;
      r.body = "slow";
      held->send(r);
      *poll = nullptr;  // break the cycle
    };
    reactor->after(0, *poll);
  });
  server->route("GET", "/fast", [](const HttpServerRequest&, HttpReply reply) {
    HttpServerResponse r;
    r.body = "fast";
    reply.send(r);
  });
  HttpResponse slow;
  std::vector<HttpResponse> fast(20);
  std::atomic<std::int64_t> fast_last_ms = 0, slow_ms = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto ms = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(); };
  std::thread ts([&] {
    slow = *fetch(req("/slow"));
    slow_ms = ms();
    ++done;
  });
  std::vector<std::thread> tf;
  for (int i = 0; i < 4; ++i)
    tf.emplace_back([&, i] {
      for (int w = 0; w < 1000 && !slow_arrived; ++w) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      for (int k = 0; k < 5; ++k) fast[static_cast<std::size_t>(i * 5 + k)] = *fetch(req("/fast"));
      std::int64_t t = ms();
      std::int64_t prev = fast_last_ms.load();
      while (t > prev && !fast_last_ms.compare_exchange_weak(prev, t)) {
      }
      ++done;
    });
  run_until([&] { return done.load() == 5; });
  ts.join();
  for (auto& t : tf) t.join();
  EXPECT_EQ(slow.body, "slow");
  for (const auto& f : fast) EXPECT_EQ(f.body, "fast");
  EXPECT_GE(slow_ms.load(), fast_last_ms.load());
}

TEST_F(HttpServerLoop, ManyConcurrentClients) {
  int served = 0;
  server->route("GET", "/n", [&](const HttpServerRequest&, HttpReply reply) {
    HttpServerResponse r;
    r.body = std::to_string(++served);
    reply.send(r);
  });
  std::atomic<int> ok = 0, finished = 0;
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      std::vector<HttpRequest> qs(25, req("/n"));
      auto rs = fetch_all(qs, 25);
      if (rs)
        for (const auto& r : *rs) ok += r.status == 200;
      ++finished;
    });
  run_until([&] { return finished.load() == 8; });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(served, 200);
}

TEST_F(HttpServerLoop, DroppedReplyAnswers500) {
  server->route("GET", "/drop", [](const HttpServerRequest&, HttpReply) {});
  server->route("GET", "/drop-later", [this](const HttpServerRequest&, HttpReply reply) {
    auto held = std::make_shared<HttpReply>(std::move(reply));
    reactor->after(10 * kNsPerMs, [held]() mutable { held.reset(); });
  });
  EXPECT_EQ(get_on_thread(req("/drop")).status, 500);
  EXPECT_EQ(get_on_thread(req("/drop-later")).status, 500);
}

TEST_F(HttpServerLoop, IdleClientIsClosedAfterTheConnectionTimeout) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(server->bound_ports().at(0));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(write(s, "GET / HTTP/1.1\r\n", 16), 16);  // and then nothing: a slow-loris client
  std::atomic<bool> closed = false;
  std::atomic<std::int64_t> after_ms = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::thread t([&] {
    char buf[64];
    timeval tv{5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = read(s, buf, sizeof buf);
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
    after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  });
  run_until([&] { return after_ms.load() > 0; });
  t.join();
  close(s);
  EXPECT_TRUE(closed.load());
  EXPECT_GE(after_ms.load(), 900);
  EXPECT_LT(after_ms.load(), 4000);
}

TEST(HttpServer, BadListenAddressesAreNamed) {
  auto r = Reactor::create();
  ASSERT_TRUE(r.has_value());
  for (std::string bad : {"localhost:9798", "127.0.0.1", "::1:9798", "127.0.0.1:99999", "[::1]9798"}) {
    HttpServerOptions o;
    o.listen = {bad};
    auto s = HttpServer::start(**r, o);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_NE(s.error().message().find(bad), std::string::npos) << s.error().message();
  }
  // In use: the second server on the same port says so, naming the address.
  HttpServerOptions o;
  o.listen = {"127.0.0.1:0"};
  o.allow_port_zero = true;
  auto first = HttpServer::start(**r, o);
  ASSERT_TRUE(first.has_value());
  std::string taken = "127.0.0.1:" + std::to_string((*first)->bound_ports().at(0));
  o.listen = {taken};
  auto second = HttpServer::start(**r, o);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().message(), "listen " + taken + ": Address already in use");
}

TEST(HttpServer, ListensOnIpv6AndDualStack) {
  auto r = Reactor::create();
  ASSERT_TRUE(r.has_value());
  HttpServerOptions o;
  o.listen = {"[::1]:0", ":0"};
  o.allow_port_zero = true;
  auto s = HttpServer::start(**r, o);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ((*s)->bound_ports().size(), 2u);
}

}  // namespace
}  // namespace reach::io

namespace reach::io {
namespace {

// libmicrohttpd is loaded, not linked (mhd_api.hpp): every function the server calls resolves
// in the library Debian ships, so no start fails on a missing symbol.
TEST(MhdApi, EveryFunctionResolves) {
  auto api = load_mhd();
  ASSERT_TRUE(api) << api.error().message();
  const MhdApi& a = **api;
  for (const void* p : {reinterpret_cast<const void*>(a.start_daemon), reinterpret_cast<const void*>(a.stop_daemon),
                        reinterpret_cast<const void*>(a.run), reinterpret_cast<const void*>(a.get_timeout),
                        reinterpret_cast<const void*>(a.get_daemon_info),
                        reinterpret_cast<const void*>(a.get_connection_info),
                        reinterpret_cast<const void*>(a.get_connection_values),
                        reinterpret_cast<const void*>(a.suspend_connection),
                        reinterpret_cast<const void*>(a.resume_connection),
                        reinterpret_cast<const void*>(a.http_unescape),
                        reinterpret_cast<const void*>(a.create_response_from_buffer),
                        reinterpret_cast<const void*>(a.add_response_header),
                        reinterpret_cast<const void*>(a.queue_response),
                        reinterpret_cast<const void*>(a.destroy_response)})
    EXPECT_NE(p, nullptr);
  EXPECT_EQ(*api, *load_mhd());  // loaded once
}

}  // namespace
}  // namespace reach::io
