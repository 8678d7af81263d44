#include <cstdlib>
#include <stdexcept>

#include "edgekd/cpu.h"
#include "testing.h"

using namespace edgekd;

TEST(isa_names_round_trip) {
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i) {
    const Isa isa = static_cast<Isa>(i);
    EXPECT_TRUE(isa_from_name(isa_name(isa)) == isa, isa_name(isa));
  }
}

TEST(unknown_isa_name_throws) {
  bool threw = false;
  try { isa_from_name("sse9"); } catch (const std::invalid_argument&) { threw = true; }
  EXPECT_TRUE(threw, "isa_from_name(\"sse9\") should throw");
}

TEST(default_selection_is_available) {
  unsetenv("EDGEKD_ISA");
  const Isa isa = select_isa_from_env();
  EXPECT_TRUE(isa_available(isa), isa_name(isa));
}

TEST(forcing_each_path) {
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i) {
    const Isa isa = static_cast<Isa>(i);
    setenv("EDGEKD_ISA", isa_name(isa), 1);
    bool threw = false;
    try {
      EXPECT_TRUE(select_isa_from_env() == isa, isa_name(isa));
    } catch (const std::runtime_error&) {
      threw = true;
    }
    EXPECT_TRUE(threw == !isa_available(isa), "forcing " << isa_name(isa) << " threw=" << threw);
  }
  unsetenv("EDGEKD_ISA");
}

// EDGEKD_EXPECT_ISA (set by the qemu runs in CI) names the path the default selection must pick.
TEST(expected_isa_under_emulation) {
  const char* expected = std::getenv("EDGEKD_EXPECT_ISA");
  if (!expected) return;
  unsetenv("EDGEKD_ISA");
  EXPECT_TRUE(std::string(isa_name(select_isa_from_env())) == expected,
              "selected " << isa_name(select_isa_from_env()) << ", expected " << expected);
}

EDGEKD_TEST_MAIN()
