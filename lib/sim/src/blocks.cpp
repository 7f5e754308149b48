#include "blocks.hpp"

#include <algorithm>
#include <queue>

namespace opskit::sim::detail {

Blocks topological_blocks(int n, const std::vector<int>& out_start, const std::vector<int>& out_to) {
  std::vector<int> index(n, -1), low(n, 0), stack, emitted_start, emitted;
  std::vector<char> on_stack(n, 0);
  std::vector<std::pair<int, int>> call;  // node, next edge position
  int counter = 0;
  emitted_start.push_back(0);
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    call.emplace_back(root, out_start[root]);
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!call.empty()) {
      auto& [v, pos] = call.back();
      if (pos < out_start[v + 1]) {
        int w = out_to[pos++];
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = 1;
          call.emplace_back(w, out_start[w]);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      int done = v;
      call.pop_back();
      if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      if (low[done] == index[done]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          emitted.push_back(w);
        } while (w != done);
        emitted_start.push_back(static_cast<int>(emitted.size()));
      }
    }
  }
  // Order the blocks topologically, preferring the block with the smallest
  // metric index whenever several are ready (Kahn's algorithm with a heap):
  // evaluation then follows the graph's own order, which keeps the memory
  // reads of neighbouring metrics close together.
  const size_t nb = emitted_start.size() - 1;
  std::vector<int> block_of(n), min_member(nb, n);
  for (size_t k = 0; k < nb; ++k)
    for (int p = emitted_start[k]; p < emitted_start[k + 1]; ++p) {
      block_of[emitted[p]] = static_cast<int>(k);
      min_member[k] = std::min(min_member[k], emitted[p]);
    }
  std::vector<int> indeg(nb, 0);
  for (int v = 0; v < n; ++v)
    for (int p = out_start[v]; p < out_start[v + 1]; ++p)
      if (block_of[out_to[p]] != block_of[v]) ++indeg[block_of[out_to[p]]];
  std::priority_queue<std::pair<int, int>, std::vector<std::pair<int, int>>, std::greater<>> ready;
  for (size_t k = 0; k < nb; ++k)
    if (indeg[k] == 0) ready.emplace(min_member[k], static_cast<int>(k));
  Blocks b;
  b.block_of.assign(n, -1);
  b.start.push_back(0);
  while (!ready.empty()) {
    int k = ready.top().second;
    ready.pop();
    size_t first = b.members.size();
    for (int p = emitted_start[k]; p < emitted_start[k + 1]; ++p) b.members.push_back(emitted[p]);
    std::sort(b.members.begin() + first, b.members.end());
    int id = static_cast<int>(b.start.size() - 1);
    for (size_t q = first; q < b.members.size(); ++q) {
      int v = b.members[q];
      b.block_of[v] = id;
      for (int p = out_start[v]; p < out_start[v + 1]; ++p) {
        int w = block_of[out_to[p]];
        if (w != k && --indeg[w] == 0) ready.emplace(min_member[w], w);
      }
    }
    b.start.push_back(static_cast<int>(b.members.size()));
  }
  return b;
}

std::vector<int> find_cycle(int from, const Blocks& b, const std::vector<int>& out_start, const std::vector<int>& out_to) {
  // Breadth-first inside the block back to `from`; shortest cycle.
  int blk = b.block_of[from];
  std::vector<int> parent(b.block_of.size(), -2);
  std::vector<int> queue{from};
  for (size_t q = 0; q < queue.size(); ++q) {
    int v = queue[q];
    for (int p = out_start[v]; p < out_start[v + 1]; ++p) {
      int w = out_to[p];
      if (b.block_of[w] != blk) continue;
      if (w == from) {
        std::vector<int> path{from};
        for (int x = v; x != from; x = parent[x]) path.push_back(x);
        path.push_back(from);
        std::reverse(path.begin(), path.end());
        return path;
      }
      if (parent[w] != -2) continue;
      parent[w] = v;
      queue.push_back(w);
    }
  }
  return {};
}

}  // namespace opskit::sim::detail
