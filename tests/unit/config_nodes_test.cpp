#include <gtest/gtest.h>

#include "config/nodes_json.hpp"

namespace reach::config {
namespace {

TEST(NodesJson, Rackspace) {
  auto r = parse_nodes_json(R"({"nodes":[
    {"id":410,"address":"198.18.1.1","port":80,"condition":"ENABLED","status":"ONLINE"},
    {"id":411,"address":"2001:db8::2","port":8080,"condition":"DISABLED"}]})",
                            "lb", std::nullopt);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (Node{"198.18.1.1", 80, "410", true}));
  EXPECT_EQ((*r)[1], (Node{"2001:db8::2", 8080, "411", false}));
}

TEST(NodesJson, Octavia) {
  auto r = parse_nodes_json(R"({"members":[
    {"id":"957a","name":"web-a","address":"198.18.2.16","protocol_port":443,"admin_state_up":true},
    {"id":"b1c2","name":"","address":"198.18.2.17","protocol_port":443,"admin_state_up":false}]})",
                            "lb", std::nullopt);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (Node{"198.18.2.16", 443, "web-a", true}));
  EXPECT_EQ((*r)[1], (Node{"198.18.2.17", 443, "b1c2", false}));
}

TEST(NodesJson, Select) {
  auto s = parse_select("list=/data/backends,address=/ip,port=/svc/port,name=/host");
  ASSERT_TRUE(s) << s.error().message();
  auto r = parse_nodes_json(R"({"data":{"backends":[{"ip":"198.18.0.9","svc":{"port":"22"},"host":"a"}]}})", "x", *s);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], (Node{"198.18.0.9", 22, "a", true}));
  // Without list=: the document's only array.
  s = parse_select("address=/a,port=/p");
  r = parse_nodes_json(R"({"servers":[{"a":"h1","p":1},{"a":"h2","p":2}]})", "x", *s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size(), 2u);
  r = parse_nodes_json(R"([{"a":"h1","p":1}])", "x", *s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

TEST(NodesJson, SelectErrors) {
  EXPECT_FALSE(parse_select("address=/a"));
  EXPECT_FALSE(parse_select("address=a,port=/p"));  // a pointer starts with '/'
  EXPECT_FALSE(parse_select("host=/a,port=/p"));
  EXPECT_FALSE(parse_select("address"));
  auto s = parse_select("address=/a,port=/p");
  auto r = parse_nodes_json(R"({"x":[],"y":[]})", "x", *s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("several arrays"), std::string::npos);
}

TEST(NodesJson, BadInputIsAClearError) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"nodes":[)", "malformed JSON"},
      {"", "malformed JSON"},
      {R"({"servers":[]})", "unknown shape"},
      {R"([1,2])", "unknown shape"},
      {R"({"nodes":{}})", "unknown shape"},
      {R"({"nodes":[{"address":"198.18.0.1","port":70000}]})", "port 70000"},
      {R"({"nodes":[{"address":"198.18.0.1","port":-1}]})", "port -1"},
      {R"({"nodes":[{"address":"198.18.0.1"}]})", "no port"},
      {R"({"nodes":[{"port":80}]})", "no address"},
      {R"({"members":[{"address":"a b","protocol_port":80}]})", "not a host"},
      {R"({"nodes":[3]})", "not an object"},
  };
  for (auto [text, why] : cases) {
    auto r = parse_nodes_json(text, "src", std::nullopt);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(why), std::string::npos) << text << " -> " << r.error().message();
    EXPECT_EQ(r.error().message().rfind("node list src:", 0), 0u) << r.error().message();
  }
}

}  // namespace
}  // namespace reach::config
