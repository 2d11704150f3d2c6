// libcurl on the Reactor against servers on loopback: our own HttpServer on the same loop, a
// Python http.server, and a listener that never answers. A 1 ms ticker measures that the loop
// is never blocked while requests are in flight.
#include "io/http_async.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/http_server.hpp"
#include "sys/listen.hpp"
#include "sys/socket.hpp"
#include "sys/spawn.hpp"

namespace reach::io {
namespace {

struct HttpAsyncLoop : ::testing::Test {
  std::unique_ptr<Reactor> reactor;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpAsync> http;
  std::string base;
  TimeNs max_gap = 0;

  void SetUp() override {
    reactor = std::move(*Reactor::create());
    HttpServerOptions o;
    o.listen = {"127.0.0.1:0"};
    o.allow_port_zero = true;
    o.connection_limit = 1000;
    auto s = HttpServer::start(*reactor, o);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server = std::move(*s);
    base = "http://127.0.0.1:" + std::to_string(server->bound_ports().at(0));
    auto h = HttpAsync::create(*reactor);
    ASSERT_TRUE(h.has_value());
    http = std::move(*h);
  }

  // Runs until `done` holds or 10 s pass; records the longest gap between 1 ms ticks.
  void run_until(const std::function<bool()>& done) {
    TimeNs start = reactor->refresh_now(), last = start;
    std::function<void()> tick = [&] {
      TimeNs now = reactor->now();
      max_gap = std::max(max_gap, now - last);
      last = now;
      if (done() || now - start > 10 * kNsPerSec) {
        reactor->stop();
        return;
      }
      reactor->after(1 * kNsPerMs, tick);
    };
    reactor->after(0, tick);
    ASSERT_TRUE(reactor->run().has_value());
    ASSERT_TRUE(done()) << "timed out";
  }

  // Runs a command to its end on the loop; its exit status.
  int run_child(const std::vector<std::string>& argv) {
    auto pid = sys::spawn(argv, sys::current_environment(), "");
    if (!pid) return -1;
    int status = -1;
    bool exited = false;
    if (!reactor->watch_child(*pid, [&](int st) {
          status = st;
          exited = true;
        }))
      return -1;
    run_until([&] { return exited; });
    return status;
  }

  // A Python server on the loop: `script` gets `args`, then `port_file`, where it writes the port
  // it listens on (renamed into place). Its port, once it is there; the child stays in `server_pid`.
  pid_t server_pid = -1;
  bool server_exited = false;
  std::string python_server(const char* script, std::vector<std::string> args, const std::filesystem::path& port_file) {
    args.insert(args.begin(), {"python3", "-c", script});
    args.push_back(port_file.string());
    auto pid = sys::spawn(args, sys::current_environment(), "");
    if (!pid) return ADD_FAILURE() << pid.error().message(), "";
    server_pid = *pid;
    if (!reactor->watch_child(*pid, [this](int) { server_exited = true; })) return ADD_FAILURE(), "";
    run_until([&] { return std::filesystem::exists(port_file) || server_exited; });
    std::string port;
    std::ifstream(port_file) >> port;
    return port;
  }
  void stop_python_server() {
    ASSERT_TRUE(sys::kill_child(server_pid, SIGKILL).has_value());
    run_until([&] { return server_exited; });
  }

  HttpRequest req(const std::string& url, TimeNs timeout = 5 * kNsPerSec) {
    HttpRequest q;
    q.url = url;
    q.timeout = timeout;
    return q;
  }
};

TEST_F(HttpAsyncLoop, ManyConcurrentRequestsWithoutBlockingTheLoop) {
  server->route("GET", "/delay", [this](const HttpServerRequest& rq, HttpReply reply) {
    auto held = std::make_shared<HttpReply>(std::move(reply));
    std::string n = *rq.param("n");
    reactor->after(20 * kNsPerMs, [held, n] {
      HttpServerResponse r;
      r.body = n;
      held->send(r);
    });
  });
  constexpr int kN = 300;
  int ok = 0, got = 0;
  for (int i = 0; i < kN; ++i) {
    auto id = http->start(req(base + "/delay?n=" + std::to_string(i)), [&, i](HttpResponse r) {
      ++got;
      ok += r.completed && r.status == 200 && r.body == std::to_string(i) && r.http_version == "1.1";
    });
    ASSERT_TRUE(id.has_value());
  }
  EXPECT_EQ(got, 0) << "callbacks must not run inside start()";
  run_until([&] { return got == kN; });
  EXPECT_EQ(ok, kN);
  EXPECT_EQ(http->in_flight(), 0u);
  EXPECT_LT(max_gap, 500 * kNsPerMs) << "the loop was blocked";
}

TEST_F(HttpAsyncLoop, PostWithHeadersAndBody) {
  server->route("POST", "/hook", [](const HttpServerRequest& rq, HttpReply reply) {
    HttpServerResponse r;
    r.status = 202;
    r.body = rq.method + " " + *rq.header("content-type") + " " + rq.body;
    reply.send(r);
  });
  auto q = req(base + "/hook");
  q.body = R"({"status":"firing"})";
  q.headers = {"Content-Type: application/json"};
  HttpResponse got;
  bool done = false;
  ASSERT_TRUE(http->start(q, [&](HttpResponse r) {
                    got = std::move(r);
                    done = true;
                  }).has_value());
  run_until([&] { return done; });
  EXPECT_EQ(got.status, 202);
  EXPECT_EQ(got.body, R"(POST application/json {"status":"firing"})");
  EXPECT_EQ(got.content_length, static_cast<std::int64_t>(got.body.size()));
  EXPECT_TRUE(got.tls_version.empty());
  EXPECT_FALSE(got.cert_expiry_unix.has_value());
}

TEST_F(HttpAsyncLoop, HungServerHitsTheTimeoutWhileOthersAreServed) {
  // Listens but never accepts: the kernel completes the handshake, nobody ever answers.
  auto hung = sys::listen_tcp(IpAddr::parse("127.0.0.1"), 0, 16, "127.0.0.1:0");
  ASSERT_TRUE(hung.has_value());
  std::string hung_url = "http://127.0.0.1:" + std::to_string(*sys::local_port(hung->get())) + "/";
  server->route("GET", "/ok", [](const HttpServerRequest&, HttpReply reply) { reply.send({}); });

  HttpResponse slow;
  bool slow_done = false;
  int fast_ok = 0;
  TimeNs t0 = reactor->refresh_now(), slow_at = 0, fast_at = 0;
  ASSERT_TRUE(http->start(req(hung_url, 1000 * kNsPerMs), [&](HttpResponse r) {
                    slow = std::move(r);
                    slow_done = true;
                    slow_at = reactor->refresh_now() - t0;
                  }).has_value());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(http->start(req(base + "/ok"), [&](HttpResponse r) {
                      fast_ok += r.status == 200;
                      fast_at = reactor->refresh_now() - t0;
                    }).has_value());
  run_until([&] { return slow_done && fast_ok == 20; });
  EXPECT_TRUE(slow.timed_out);
  EXPECT_FALSE(slow.completed);
  EXPECT_GE(slow_at, 990 * kNsPerMs);
  EXPECT_LT(slow_at, 3000 * kNsPerMs);
  EXPECT_LT(fast_at, slow_at) << "fast requests waited for the hung one";
}

TEST_F(HttpAsyncLoop, RefusedConnectionAndCancel) {
  auto closed = sys::listen_tcp(IpAddr::parse("127.0.0.1"), 0, 1, "127.0.0.1:0");
  ASSERT_TRUE(closed.has_value());
  std::uint16_t port = *sys::local_port(closed->get());
  closed->reset();  // nothing listens there now
  HttpResponse refused;
  bool done = false, cancelled_ran = false;
  ASSERT_TRUE(http->start(req("http://127.0.0.1:" + std::to_string(port) + "/"), [&](HttpResponse r) {
                    refused = std::move(r);
                    done = true;
                  }).has_value());
  auto id = http->start(req(base + "/never"), [&](HttpResponse) { cancelled_ran = true; });
  ASSERT_TRUE(id.has_value());
  http->cancel(*id);
  run_until([&] { return done; });
  reactor->after(20 * kNsPerMs, [&] { reactor->stop(); });
  ASSERT_TRUE(reactor->run().has_value());
  EXPECT_TRUE(refused.connect_failed);
  EXPECT_FALSE(cancelled_ran);
}

TEST_F(HttpAsyncLoop, DestroyingFromACallbackIsSafe) {
  server->route("GET", "/ok", [](const HttpServerRequest&, HttpReply reply) { reply.send({}); });
  int calls = 0;
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(http->start(req(base + "/ok"), [&](HttpResponse) {
                      ++calls;
                      http.reset();
                    }).has_value());
  run_until([&] { return calls > 0; });
  EXPECT_EQ(calls, 1);
}

TEST_F(HttpAsyncLoop, PythonHttpServer) {
  auto dir = std::filesystem::temp_directory_path() / ("reach-http-async-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "index.txt") << "hello from python\n";
  auto port_file = dir / "port";
  const char* script = R"(
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
http.server.ThreadingHTTPServer.request_queue_size = 256  # the default 5 drops SYNs of a burst
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
)";
  const std::string port = python_server(script, {dir.string()}, port_file);
  constexpr int kN = 100;
  int ok = 0, got = 0;
  for (int i = 0; i < kN; ++i)
    ASSERT_TRUE(http->start(req("http://127.0.0.1:" + port + "/index.txt"), [&](HttpResponse r) {
                      ++got;
                      ok += r.status == 200 && r.body == "hello from python\n";
                    }).has_value());
  run_until([&] { return got == kN; });
  EXPECT_EQ(ok, kN);
  EXPECT_LT(max_gap, 500 * kNsPerMs);
  stop_python_server();
  std::filesystem::remove_all(dir);
}

// A 200 whose body never ends (a stream, SSE): with body_limit the transfer stops at the limit
// and the response is complete with its status; without, it runs into the timeout.
TEST_F(HttpAsyncLoop, BodyLimitStopsAnEndlessBodyAtTheLimit) {
  auto dir = std::filesystem::temp_directory_path() / ("reach-http-endless-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto port_file = dir / "port";
  const char* script = R"(
import os, socket, sys, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        end = time.monotonic() + 30
        while time.monotonic() < end:
            c.sendall(b"x" * 65536)
    except OSError:
        pass
    c.close()
end = time.monotonic() + 60
s.settimeout(1)
while time.monotonic() < end:
    try:
        threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
    except socket.timeout:
        pass
)";
  const std::string url = "http://127.0.0.1:" + python_server(script, {}, port_file) + "/";

  HttpResponse limited, endless;
  int got = 0;
  auto q = req(url, 5 * kNsPerSec);
  q.body_limit = 256 * 1024;
  q.max_body = q.body_limit;
  ASSERT_TRUE(http->start(q, [&](HttpResponse r) { limited = std::move(r), ++got; }).has_value());
  ASSERT_TRUE(http->start(req(url, 500 * kNsPerMs), [&](HttpResponse r) { endless = std::move(r), ++got; }).has_value());
  run_until([&] { return got == 2; });
  EXPECT_TRUE(limited.completed) << limited.error;
  EXPECT_TRUE(limited.truncated);
  EXPECT_EQ(limited.status, 200);
  EXPECT_EQ(limited.body, std::string(256 * 1024, 'x'));
  EXPECT_EQ(limited.content_length, 256 * 1024);
  EXPECT_LT(limited.timings.total, 4 * kNsPerSec) << "stopped at the limit, not by the timeout";
  EXPECT_FALSE(endless.completed);
  EXPECT_TRUE(endless.timed_out);
  EXPECT_FALSE(endless.truncated);
  stop_python_server();
  std::filesystem::remove_all(dir);
}

TEST_F(HttpAsyncLoop, TlsVersionAndCertificateExpiry) {
  auto dir = std::filesystem::temp_directory_path() / ("reach-https-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string(), port_file = (dir / "port").string();
  ASSERT_EQ(run_child({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                       "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1",
                       "-addext", "subjectAltName=IP:127.0.0.1"}),
            0);
  std::int64_t expect_expiry = time(nullptr) + 30 * 86400;
  const char* script = R"(
import http.server, os, ssl, sys
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = c.wrap_socket(s.socket, server_side=True)
open(sys.argv[3] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
s.serve_forever()
)";
  auto pid = sys::spawn({"python3", "-c", script, cert, key, port_file}, sys::current_environment(), "");
  ASSERT_TRUE(pid.has_value());
  bool exited = false;
  ASSERT_TRUE(reactor->watch_child(*pid, [&](int) { exited = true; }).has_value());
  run_until([&] { return std::filesystem::exists(port_file) || exited; });
  std::string port;
  std::ifstream(port_file) >> port;
  std::vector<HttpResponse> got;
  for (bool verify : {true, false}) {
    auto q = req("https://127.0.0.1:" + port + "/");
    q.ca_file = cert;
    q.verify_tls = verify;
    ASSERT_TRUE(http->start(q, [&](HttpResponse r) { got.push_back(std::move(r)); }).has_value());
  }
  auto untrusted = req("https://127.0.0.1:" + port + "/");  // the system store does not know it
  ASSERT_TRUE(http->start(untrusted, [&](HttpResponse r) { got.push_back(std::move(r)); }).has_value());
  run_until([&] { return got.size() == 3; });
  for (const auto& r : got) {
    if (r.tls_failed) continue;
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.tls_version.rfind("TLSv1.", 0), 0u) << r.tls_version;
    ASSERT_TRUE(r.cert_expiry_unix.has_value());
    EXPECT_NEAR(static_cast<double>(*r.cert_expiry_unix), static_cast<double>(expect_expiry), 120);
    EXPECT_EQ(r.chain_earliest_expiry_unix, r.cert_expiry_unix);
  }
  EXPECT_EQ(std::count_if(got.begin(), got.end(), [](const HttpResponse& r) { return r.tls_failed; }), 1);
  ASSERT_TRUE(sys::kill_child(*pid, SIGKILL).has_value());
  run_until([&] { return exited; });
  std::filesystem::remove_all(dir);
}

// SMTP through the same multi handle: a Python sink on loopback accepts a message (250 after
// DATA), refuses a recipient (550), and an http:// URL with a mail envelope is not sent at all.
TEST_F(HttpAsyncLoop, SmtpSubmission) {
  auto dir = std::filesystem::temp_directory_path() / ("reach-smtp-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto port_file = dir / "port", out = dir / "mail";
  const char* script = R"(
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def say(self, l): self.wfile.write(l.encode() + b"\r\n"); self.wfile.flush()
    def handle(self):
        self.say("220 sink")
        env = []
        while True:
            l = self.rfile.readline().decode().rstrip("\r\n")
            if not l: return
            v = l.split(" ")[0].upper()
            if v == "EHLO": self.say("250 sink")
            elif v == "RCPT" and "bad@" in l: self.say("550 no such user")
            elif v in ("MAIL", "RCPT"): env.append(l); self.say("250 ok")
            elif v == "DATA":
                self.say("354 go")
                body = []
                while True:
                    d = self.rfile.readline().decode()
                    if d == ".\r\n": break
                    body.append(d)
                open(sys.argv[2], "a").write("\n".join(env) + "\n" + "".join(body))
                self.say("250 queued")
            elif v == "QUIT": self.say("221 bye"); return
            else: self.say("250 ok")
s = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
)";
  auto pid = sys::spawn({"python3", "-c", script, port_file.string(), out.string()}, sys::current_environment(), "");
  ASSERT_TRUE(pid.has_value()) << pid.error().message();
  bool exited = false;
  ASSERT_TRUE(reactor->watch_child(*pid, [&](int) { exited = true; }).has_value());
  run_until([&] { return std::filesystem::exists(port_file) || exited; });
  std::string port;
  std::ifstream(port_file) >> port;
  auto mail = [&](std::string url, std::vector<std::string> rcpt) {
    HttpRequest q = req(url);
    q.body = "Subject: hi\r\n\r\n.dot line\r\nbye\r\n";
    q.mail = MailEnvelope{"reach@example.net", std::move(rcpt), "", "", false};
    return q;
  };
  std::vector<HttpResponse> got(3);
  int n = 0;
  auto keep = [&](int i) { return [&, i](HttpResponse r) { got[i] = std::move(r), ++n; }; };
  ASSERT_TRUE(http->start(mail("smtp://127.0.0.1:" + port, {"ops@example.net"}), keep(0)).has_value());
  ASSERT_TRUE(http->start(mail("smtp://127.0.0.1:" + port, {"bad@example.net"}), keep(1)).has_value());
  ASSERT_TRUE(http->start(mail("http://127.0.0.1:" + port, {"ops@example.net"}), keep(2)).has_value());
  run_until([&] { return n == 3; });
  EXPECT_TRUE(got[0].completed) << got[0].error;
  EXPECT_EQ(got[0].status, 250);
  EXPECT_FALSE(got[1].completed);
  EXPECT_EQ(got[1].status, 550);
  EXPECT_FALSE(got[2].completed);
  EXPECT_EQ(got[2].curl_code, CURLE_UNSUPPORTED_PROTOCOL) << got[2].error;
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  EXPECT_EQ(text.str(), "MAIL FROM:<reach@example.net>\nRCPT TO:<ops@example.net>\n"
                        "Subject: hi\r\n\r\n..dot line\r\nbye\r\n");  // dot-stuffed on the wire
  ASSERT_TRUE(sys::kill_child(*pid, SIGKILL).has_value());
  run_until([&] { return exited; });
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace reach::io
