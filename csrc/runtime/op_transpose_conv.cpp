#include "runtime/op.h"
namespace edgekd {
std::unique_ptr<Op> build_transpose_conv(BuildContext& ctx) { ctx.fail_unsupported(); }
}  // namespace edgekd
