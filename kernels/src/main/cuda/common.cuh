// Shared helpers of din4j's kernels. Every kernel is `extern "C"` (stable names for cuModuleGetFunction and the
// emulator's registry), named <op>_forward / <op>_backward / <op>_update, and its declaration stays on one line
// (the emulator build greps for it).
#pragma once

#ifndef __CUDACC__
#include "../emu/emu.h"  // also nvcuda::wmma's TF32 subset (emu_wmma.h)
#else
#include <mma.h>
#endif
using namespace nvcuda;

#ifdef __CUDACC__
// Dynamic shared memory: one extern array declared at the use site, typed by a cast.
#define DYN_SHARED(T, name)                                         \
    extern __shared__ __align__(16) unsigned char din4j_dyn_smem_[]; \
    T* name = reinterpret_cast<T*>(din4j_dyn_smem_)
#else
#define DYN_SHARED(T, name) T* name = reinterpret_cast<T*>(emu::dynamic_shared())
#endif

// Static shared memory: STATIC_SHARED(float, tile, [16][17]) is `__shared__ float tile[16][17]` on nvcc; on the
// emulator it is also filled with 0xFF bytes per block, so reads before writes show (see emu.h).
#ifdef __CUDACC__
#define STATIC_SHARED(T, name, dims) __shared__ T name dims
#else
#define STATIC_SHARED(T, name, dims) EMU_STATIC_SHARED(T, name, dims)
#endif

#define FULL_MASK 0xffffffffu

// Grid-stride loop over [0, n) with 64-bit indices (tables can exceed 2^31 elements).
#define GRID_STRIDE(i, n)                                                                        \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)

// Grid-stride loop over [0, n) with the narrowest index type that cannot overflow: 32-bit when n plus one grid's
// stride fits in an int (every batch-sized launch in practice), else 64-bit. 64-bit division and modulo — what
// element-wise kernels spend most of their integer work on — cost several times their 32-bit forms on a GPU, so the
// body is compiled twice and the branch (uniform over the grid) picks one. `body` takes the index (int or long long).
template <class F>
__device__ __forceinline__ void grid_stride_narrow(long long n, F body) {
    long long stride = (long long)blockDim.x * gridDim.x;
    if (n + stride <= 0x7fffffffLL) {
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (int)n; i += (int)stride) body(i);
    } else {
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) body(i);
    }
}

// Warp-per-row loop: warp w of the grid takes rows w, w + warps, ... (warp-uniform, so collectives inside are
// safe: every lane of a warp runs the same iterations). Rows are 64-bit; the lane is threadIdx.x mod 32.
#define WARP_STRIDE(r, n)                                                                                     \
    for (long long r = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < (long long)(n);            \
         r += ((long long)blockDim.x * gridDim.x) >> 5)

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// Sum over the block in a fixed order (warp trees, then warp 0 over the warp sums): deterministic. Every thread
// of the block must call it; the result is valid in every thread. `scratch` holds 33 values.
template <class T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int nw = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T s = lane < nw ? scratch[lane] : T(0);
        s = warp_sum(s);
        if (lane == 0) scratch[32] = s;
    }
    __syncthreads();
    return scratch[32];
}

// σ(x) without overflow for any finite x: e^−|x| never exceeds 1.
__device__ __forceinline__ float sigmoid_f(float x) {
    float e = expf(-fabsf(x));
    return x >= 0.f ? 1.f / (1.f + e) : e / (1.f + e);
}

// Row r of a [B·T, C] matrix is a valid behaviour iff (r mod T) < lengths[r / T]; lengths == nullptr means every
// row is valid.
__device__ __forceinline__ bool row_valid(long long r, const int* lengths, int T) {
    return lengths == nullptr || (int)(r % T) < lengths[r / T];
}

// Activation codes shared with io.din4j.backend.cuda (the Activation enum's ordinals).
#define ACT_DICE 0
#define ACT_PRELU 1
#define ACT_SIGMOID 2
#define ACT_RELU 3
