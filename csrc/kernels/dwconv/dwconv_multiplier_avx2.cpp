// Depthwise conv with depth multiplier > 1, avx2 flags: the kernel is dwconv_multiplier_x86.inc.
#define EDGEKD_DWCONV_MULTIPLIER_ENTRY run_multiplier_avx2
#include "kernels/dwconv/dwconv_multiplier_x86.inc"
