// Depthwise conv with depth multiplier > 1, avx512vnni flags: the kernel is dwconv_multiplier_x86.inc.
#define EDGEKD_DWCONV_MULTIPLIER_ENTRY run_multiplier_avx512vnni
#include "kernels/dwconv/dwconv_multiplier_x86.inc"
