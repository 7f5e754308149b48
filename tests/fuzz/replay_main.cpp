// Replay driver for fuzz targets in the normal build: feeds every file of
// the corpus folders given on the command line, then seeded mutations of
// them (bit flips, truncations, splices), through LLVMFuzzerTestOneInput.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.file_size() < (1u << 20)) {
          std::ifstream f(e.path(), std::ios::binary);
          inputs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        }
    } else if (std::filesystem::is_regular_file(p)) {
      std::ifstream f(p, std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
  }
  if (inputs.empty()) inputs.emplace_back("");
  std::mt19937_64 rng(12345);
  size_t runs = 0;
  for (auto& in : inputs) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(in.data()), in.size());
    ++runs;
  }
  for (int round = 0; round < 3000; ++round) {
    std::string s = inputs[rng() % inputs.size()];
    int edits = 1 + rng() % 8;
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8)); break;
        case 1: if (!s.empty()) s.resize(rng() % s.size()); break;
        case 2: { auto& o = inputs[rng() % inputs.size()]; if (!o.empty()) s.insert(rng() % (s.size() + 1), o.substr(rng() % o.size(), 1 + rng() % 64)); } break;
        case 3: s.insert(rng() % (s.size() + 1), 1, static_cast<char>(rng())); break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    ++runs;
  }
  std::printf("replayed %zu inputs without a crash\n", runs);
  return 0;
}
