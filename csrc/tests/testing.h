// A minimal test harness for the C++ tests (no external dependency, so it cross-compiles and runs under
// qemu as is). A test file defines TESTs and ends with EDGEKD_TEST_MAIN().
#pragma once
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace edgekd_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}
struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};
inline int& failures() {
  static int f = 0;
  return f;
}
inline void fail(const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, msg.c_str());
  ++failures();
}
// Runs every test (or those whose name contains argv[1]); exit status is the number of failing tests.
inline int run_all(int argc, char** argv) {
  int failed_tests = 0, ran = 0;
  for (const Case& c : registry()) {
    if (argc > 1 && std::string(c.name).find(argv[1]) == std::string::npos) continue;
    const int before = failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    ++ran;
    const bool ok = failures() == before;
    if (!ok) ++failed_tests;
    std::printf("[%s] %s\n", ok ? " OK " : "FAIL", c.name);
  }
  std::printf("%d tests, %d failed\n", ran, failed_tests);
  return failed_tests == 0 ? 0 : 1;
}

}  // namespace edgekd_test

#define EDGEKD_CAT2(a, b) a##b
#define EDGEKD_CAT(a, b) EDGEKD_CAT2(a, b)
#define TEST(name)                                                                      \
  static void name();                                                                   \
  static ::edgekd_test::Registrar EDGEKD_CAT(registrar_, name)(#name, &name);           \
  static void name()
// Fails the current test with a message (streamed) and returns from it.
#define EXPECT_TRUE(cond, msg_expr)                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::ostringstream edgekd_os_;                                                    \
      edgekd_os_ << #cond << " -- " << msg_expr;                                        \
      ::edgekd_test::fail(__FILE__, __LINE__, edgekd_os_.str());                        \
      return;                                                                           \
    }                                                                                   \
  } while (0)
#define EDGEKD_TEST_MAIN() \
  int main(int argc, char** argv) { return ::edgekd_test::run_all(argc, argv); }
