#pragma once
// A read-only mapping of a capture file that survives the file being cut
// short while it is read (a log rotation, a writer truncating it): reading
// a mapped page past the new end of the file raises SIGBUS, which would kill
// the process. While a MappedFile lives, a SIGBUS handler puts zero pages
// over the rest of its mapping and marks it cut; the reader checks cut()
// and ends the file there with a counted anomaly. A SIGBUS at any other
// address goes to whatever handled it before.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace opskit::net {

class MappedFile {
 public:
  // Maps all of `fd` (`size` bytes, from fstat) and closes fd, mapped or
  // not; throws DataError naming `path` when the mapping fails.
  MappedFile(int fd, size_t size, const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // True once a read found the file shorter than when it was mapped: the
  // bytes from that page on read as zeros.
  bool cut() const { return cut_ && cut_->load(std::memory_order_relaxed); }
  // The flag behind cut(), for a reader that checks it on its error paths.
  const std::atomic<bool>* cut_flag() const { return cut_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::atomic<bool>* cut_ = nullptr;  // the registry slot's flag
  int slot_ = -1;
};

}  // namespace opskit::net
