#pragma once
// A compact, read-only YAML tree built from yaml-cpp's parser events. yaml-cpp's own Node graph
// costs ~5 KB per target entry (556 MB peak for 100,000 targets) and its map iterators hand out
// temporaries that are easy to keep dangling; this tree keeps one small record per value in
// flat arrays (children contiguous), with its line, and nothing else. Aliases point at their
// anchor's node (a DAG: nothing is expanded).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reach::config::yaml {

class Doc;

enum class Type : std::uint8_t { undefined, null, scalar, sequence, map };

class Node {
 public:
  Node() = default;
  Node(const Doc* doc, std::uint32_t index) : doc_(doc), i_(index) {}

  Type type() const;
  bool IsDefined() const { return type() != Type::undefined; }
  bool IsNull() const { return type() == Type::null; }
  bool IsScalar() const { return type() == Type::scalar; }
  bool IsSequence() const { return type() == Type::sequence; }
  bool IsMap() const { return type() == Type::map; }
  const std::string& Scalar() const;  // empty unless a scalar
  int line() const;                   // 1-based; 0 for an undefined node
  std::size_t size() const;           // items of a sequence, entries of a map, else 0
  // The value of the first entry whose key is the scalar `key`; undefined when none.
  Node operator[](std::string_view key) const;
  std::vector<Node> items() const;                     // a sequence's items
  std::vector<std::pair<Node, Node>> entries() const;  // a map's (key, value) pairs, in order

 private:
  const Doc* doc_ = nullptr;
  std::uint32_t i_ = 0;
};

class Doc {
 public:
  struct Data {
    Type type = Type::null;
    int line = 0;
    std::uint32_t first = 0, count = 0;  // children in `kids` (maps: key, value, key, value...)
    std::string scalar;
  };
  std::vector<Data> nodes;          // nodes[0] is the root
  std::vector<std::uint32_t> kids;  // child node indexes
  Node root() const { return Node(this, 0); }
};

// Parses the first document of `text`. Throws yaml-cpp's exceptions (ParserException with its
// mark, DeepRecursion); the caller (yaml_walk) turns them into errors.
std::unique_ptr<Doc> parse(std::string_view text);

}  // namespace reach::config::yaml
