# CMake toolchain for 64-bit ARM Linux (Raspberry Pi OS 64-bit, Jetson L4T, Debian arm64) with Debian's
# cross compiler (package g++-aarch64-linux-gnu). Plain CMake use:
#
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=devices/toolchains/aarch64-linux-gnu.cmake \
#         [-DEDGEKD_TARGET_CPU=cortex-a72] [-DEDGEKD_SYSROOT=/path/to/arm64/rootfs]
#   cmake --build build-arm && ctest --test-dir build-arm     # tests run under qemu-aarch64
#
# Cache variables (all optional):
#   EDGEKD_CROSS_PREFIX  compiler prefix, default "aarch64-linux-gnu-" (so aarch64-linux-gnu-g++).
#   EDGEKD_TARGET_CPU    a GCC -mcpu value (cortex-a53, cortex-a72, cortex-a76, cortex-a78ae, ...): tunes
#                        and sets the base architecture of the whole build. The device profiles carry it.
#   EDGEKD_SYSROOT       a target root filesystem (e.g. arm64 Debian packages unpacked for the wheel build);
#                        searched before Debian's multiarch cross root /usr/aarch64-linux-gnu.
#   EDGEKD_QEMU_CPU      qemu CPU model for CMAKE_CROSSCOMPILING_EMULATOR (ctest); unset = qemu's default,
#                        which the QEMU_CPU environment variable can still override at run time.
#
# Note on -mcpu and the *_neondot.cpp files: those need -march=armv8.2-a+dotprod, which GCC reports as
# conflicting with an -mcpu of an older architecture on the same command line. CMakeLists.txt therefore
# takes the -mcpu set here out of CMAKE_CXX_FLAGS and gives it back per file: -mcpu=<cpu> to every file but
# those, -march=armv8.2-a+dotprod -mtune=<cpu> to them. Runtime dispatch keeps those kernels off CPUs
# without dotprod.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGEKD_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Cross compiler prefix (aarch64-linux-gnu-g++)")
set(EDGEKD_TARGET_CPU "" CACHE STRING "GCC -mcpu for the target, e.g. cortex-a72 (empty: generic armv8-a)")
set(EDGEKD_SYSROOT "" CACHE PATH "Optional target root filesystem searched before /usr/aarch64-linux-gnu")
set(EDGEKD_QEMU_CPU "" CACHE STRING "qemu-aarch64 -cpu model used by ctest (empty: qemu's default)")

# try_compile() projects re-read this file in a fresh scope: forward our settings to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  EDGEKD_CROSS_PREFIX EDGEKD_TARGET_CPU EDGEKD_SYSROOT EDGEKD_QEMU_CPU)

set(CMAKE_C_COMPILER "${EDGEKD_CROSS_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${EDGEKD_CROSS_PREFIX}g++")

# Debian's multiarch cross packages install the target's headers and libraries here.
set(_edgekd_cross_root "/usr/aarch64-linux-gnu")
set(CMAKE_FIND_ROOT_PATH "${_edgekd_cross_root}")
if(EDGEKD_SYSROOT)
  list(PREPEND CMAKE_FIND_ROOT_PATH "${EDGEKD_SYSROOT}")
endif()
# Programs (code generators, python for scripts) come from the build host; libraries, headers and CMake
# packages only from the target roots, so nothing x86 is ever linked in. A package that lives only on the
# host (e.g. header-only pybind11) can still be named directly with -D<Pkg>_DIR=...
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(EDGEKD_TARGET_CPU)
  # _INIT so that a user's CMAKE_CXX_FLAGS is appended, not replaced.
  set(CMAKE_C_FLAGS_INIT "-mcpu=${EDGEKD_TARGET_CPU}")
  set(CMAKE_CXX_FLAGS_INIT "-mcpu=${EDGEKD_TARGET_CPU}")
endif()

# Lets `ctest` run the aarch64 test binaries on an x86 build host through qemu-user.
find_program(EDGEKD_QEMU_AARCH64 qemu-aarch64)
if(EDGEKD_QEMU_AARCH64)
  # -L: where qemu finds the target's dynamic loader and libc (the sysroot's own glibc when given).
  if(EDGEKD_SYSROOT AND EXISTS "${EDGEKD_SYSROOT}/lib/ld-linux-aarch64.so.1")
    set(_edgekd_emulator "${EDGEKD_QEMU_AARCH64}" "-L" "${EDGEKD_SYSROOT}")
  else()
    set(_edgekd_emulator "${EDGEKD_QEMU_AARCH64}" "-L" "${_edgekd_cross_root}")
  endif()
  if(EDGEKD_QEMU_CPU)
    list(APPEND _edgekd_emulator "-cpu" "${EDGEKD_QEMU_CPU}")
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR "${_edgekd_emulator}")
endif()
