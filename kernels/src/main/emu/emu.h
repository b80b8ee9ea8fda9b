// Host emulation of the CUDA subset din4j's kernels use, so the same .cu sources compile with g++ and run
// (slowly, exactly) on a CPU. A block's threads are user-level fibers on one OS thread: __syncthreads and the
// warp collectives are points where a fiber yields to the block's scheduler. See kernels/README.md for the
// supported subset.
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

struct uint3 {
    unsigned x, y, z;
};

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu {

struct Fiber {
    void* sp;           // saved stack pointer while switched out
    uint3 tid;          // threadIdx
    int lane;           // linear thread id % 32
    int warp;           // linear thread id / 32
    int state;          // see emu_runtime.cpp
    unsigned waitGen;   // barrier generation this fiber waits to see change
    unsigned shflParity;
};

extern thread_local Fiber* t_current;
extern thread_local uint3 t_blockIdx;
extern thread_local dim3 t_blockDim;
extern thread_local dim3 t_gridDim;

void syncthreads();
// Deposits a 64-bit value for this lane, waits for every lane of the warp, returns the value of lane `src`
// (this lane's own value when src is outside the warp).
uint64_t warp_exchange(uint64_t v, int src, uint32_t mask);
uint32_t warp_ballot(bool p, uint32_t mask);
void* dynamic_shared();
// Called where a STATIC_SHARED variable is declared: the first thread of a block to get there fills it with 0xFF
// bytes (as dynamic shared memory is), so a read before any write in the block shows as NaN / -1 instead of
// silently seeing the previous block's values; also counts its bytes against the block's shared-memory limit.
void static_shared(void* p, unsigned long long bytes);
int warp_lanes();  // lanes present in this fiber's warp (32 except for a block's last partial warp)

inline const uint3& thread_idx() { return t_current->tid; }
inline int lane_id() { return t_current->lane; }

template <class T>
inline uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8, "shuffle of a type wider than 64 bits");
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}

template <class T>
inline T from_bits(uint64_t b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

}  // namespace emu

#define threadIdx (emu::thread_idx())
#define blockIdx (emu::t_blockIdx)
#define blockDim (emu::t_blockDim)
#define gridDim (emu::t_gridDim)
#define warpSize 32

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) alignas(n)
// Static shared memory is declared with STATIC_SHARED(T, name, dims) (common.cuh): one OS thread runs one block at a
// time, so a thread_local static is exactly one copy per running block, and the emulator poisons it per block. A
// bare __shared__ declaration would escape the poisoning, so it does not compile here.
#define __shared__ static_assert(false, "declare static shared memory with STATIC_SHARED(T, name, dims)");
#define EMU_STATIC_SHARED(T, name, dims) \
    static thread_local T name dims;     \
    emu::static_shared(&name, sizeof(name))
#define __syncthreads() emu::syncthreads()

// ---- warp collectives (full-warp masks only) ----
template <class T>
inline T __shfl_sync(uint32_t mask, T v, int src, int width = 32) {
    int base = emu::lane_id() & ~(width - 1);
    return emu::from_bits<T>(emu::warp_exchange(emu::to_bits(v), base + (src & (width - 1)), mask));
}
template <class T>
inline T __shfl_xor_sync(uint32_t mask, T v, int laneMask, int width = 32) {
    int l = emu::lane_id();
    int src = l ^ laneMask;
    if ((src & ~(width - 1)) != (l & ~(width - 1))) src = l;
    return emu::from_bits<T>(emu::warp_exchange(emu::to_bits(v), src, mask));
}
template <class T>
inline T __shfl_down_sync(uint32_t mask, T v, unsigned delta, int width = 32) {
    int l = emu::lane_id();
    int src = l + (int)delta;
    if ((src & ~(width - 1)) != (l & ~(width - 1))) src = l;
    return emu::from_bits<T>(emu::warp_exchange(emu::to_bits(v), src, mask));
}
template <class T>
inline T __shfl_up_sync(uint32_t mask, T v, unsigned delta, int width = 32) {
    int l = emu::lane_id();
    int src = l - (int)delta;
    if (src < (l & ~(width - 1))) src = l;
    return emu::from_bits<T>(emu::warp_exchange(emu::to_bits(v), src, mask));
}
inline uint32_t __ballot_sync(uint32_t mask, int p) { return emu::warp_ballot(p != 0, mask); }
inline int __all_sync(uint32_t mask, int p) {
    uint32_t b = emu::warp_ballot(p != 0, mask);
    uint32_t full = emu::warp_lanes() == 32 ? 0xffffffffu : ((1u << emu::warp_lanes()) - 1);
    return b == full;
}
inline int __any_sync(uint32_t mask, int p) { return emu::warp_ballot(p != 0, mask) != 0; }
inline void __syncwarp(uint32_t mask = 0xffffffffu) { (void)emu::warp_ballot(true, mask); }

// ---- atomics: real atomics, because blocks run concurrently on several OS threads ----
inline int atomicAdd(int* a, int v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* a, unsigned v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
    return __atomic_fetch_add(a, v, __ATOMIC_RELAXED);
}
template <class F>
inline F emu_atomic_add_float(F* a, F v) {
    F old;
    __atomic_load(a, &old, __ATOMIC_RELAXED);
    F desired;
    do {
        desired = old + v;
    } while (!__atomic_compare_exchange(a, &old, &desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}
inline float atomicAdd(float* a, float v) { return emu_atomic_add_float(a, v); }
inline double atomicAdd(double* a, double v) { return emu_atomic_add_float(a, v); }
inline int atomicMax(int* a, int v) {
    int old = __atomic_load_n(a, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(a, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline unsigned atomicMax(unsigned* a, unsigned v) {
    unsigned old = __atomic_load_n(a, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(a, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline int atomicMin(int* a, int v) {
    int old = __atomic_load_n(a, __ATOMIC_RELAXED);
    while (old > v && !__atomic_compare_exchange_n(a, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline int atomicCAS(int* a, int expected, int desired) {
    __atomic_compare_exchange_n(a, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return expected;
}
inline int atomicExch(int* a, int v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }

// ---- intrinsics ----
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
template <class T>
inline T __ldg(const T* p) { return *p; }
inline int __float_as_int(float f) { return emu::from_bits<int>(emu::to_bits(f)); }
inline unsigned __float_as_uint(float f) { return emu::from_bits<unsigned>(emu::to_bits(f)); }
inline float __int_as_float(int i) { return emu::from_bits<float>(emu::to_bits(i)); }
inline float __uint_as_float(unsigned i) { return emu::from_bits<float>(emu::to_bits(i)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __double2int_rn(double x) { return (int)nearbyint(x); }
inline long long __double2ll_rn(double x) { return (long long)nearbyint(x); }
inline double __ll2double_rn(long long x) { return (double)x; }
using std::isfinite;
using std::isnan;
using std::max;
using std::min;
#include "emu_wmma.h"
