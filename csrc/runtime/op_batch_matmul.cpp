#include "runtime/op.h"
namespace edgekd {
std::unique_ptr<Op> build_batch_matmul(BuildContext& ctx) { ctx.fail_unsupported(); }
}  // namespace edgekd
