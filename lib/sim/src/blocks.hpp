#pragma once
// Strongly connected components in topological order (causes first), found
// by an iterative Tarjan walk so a 100,000-long chain cannot overflow the stack.
#include <cstddef>
#include <vector>

namespace opskit::sim::detail {

struct Blocks {
  std::vector<int> start;    // block b = members[start[b] .. start[b+1])
  std::vector<int> members;
  std::vector<int> block_of; // metric -> block
  size_t count() const { return start.empty() ? 0 : start.size() - 1; }
};

// `out_start`/`out_to`: CSR adjacency cause -> effect over n nodes.
Blocks topological_blocks(int n, const std::vector<int>& out_start, const std::vector<int>& out_to);

// One cycle through `from` inside its block (node ids, first == last), or empty.
std::vector<int> find_cycle(int from, const Blocks& b, const std::vector<int>& out_start, const std::vector<int>& out_to);

}  // namespace opskit::sim::detail
