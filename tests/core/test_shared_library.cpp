#include <catch2/catch.hpp>

#include <cstring>

#include "core/libcurl.hpp"
#include "core/shared_library.hpp"

using namespace opskit;

TEST_CASE("a shared library opened at run time gives typed functions, and what it lacks is an error naming it") {
  SharedLibrary libc("libc.so.6", "the C library", ExitCode::internal);
  auto length = libc.function<decltype(std::strlen)>("strlen");
  CHECK(length("opskit") == 6);
  try {
    libc.function<void()>("opskit_no_such_function");
    FAIL("found a function libc does not have");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::internal);
    CHECK(std::string(e.what()) == "libc.so.6 (the C library) has no function opskit_no_such_function; it may be too old");
  }
  try {
    SharedLibrary absent("libopskit-absent.so.0", "a library nobody ships, Debian package none", ExitCode::network);
    FAIL("opened a library that does not exist");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::network);
    CHECK(std::string(e.what()).starts_with("cannot load libopskit-absent.so.0 (a library nobody ships, Debian package none): "));
  }
}

TEST_CASE("libcurl's table is complete and initialised: a handle takes options") {
  const Libcurl& curl = libcurl();
  CURL* h = curl.easy_init();
  REQUIRE(h);
  CHECK(curl.easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
  CHECK(std::string(curl.easy_strerror(CURLE_COULDNT_CONNECT)) == "Couldn't connect to server");
  curl.easy_cleanup(h);
}
