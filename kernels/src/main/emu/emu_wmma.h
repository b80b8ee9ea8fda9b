// The subset of nvcuda::wmma (mma.h) din4j's kernels use, for the emulator: TF32 m16n16k8 fragments with FP32
// accumulation, fill/load/store/mma_sync and __float_to_tf32. Included by emu.h.
//
// CUDA leaves the mapping of fragment elements to lanes unspecified, so a kernel may only touch x[] element-wise
// and uniformly over the warp (e.g. the conversion loop over num_elements). Here every lane holds the whole tile
// (num_elements = rows·cols) and computes the whole product itself: no exchange between lanes is needed and
// every lane ends with the same, correct tile. mma_sync is a warp collective (every lane must reach it, full warps
// only); load/store check the pointer (32-byte) and stride (16-byte multiple) rules whose violation is undefined
// on a GPU, and abort with a message.
//
// Precision, as the hardware: __float_to_tf32 rounds to nearest with ties away from zero (cvt.rna.tf32.f32) to
// 10 mantissa bits, the low 13 bits zero; mma_sync reads only the TF32 bits of its operands (an operand not
// converted first is truncated, as tensor cores ignore its low 13 bits), multiplies exactly (two 11-bit
// significands fit in FP32) and accumulates in FP32, k in order. The hardware's order of the 8 additions within
// one k-step is not specified; results may differ from a GPU's by FP32 rounding of the accumulation only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// Rows and columns of a fragment's tile: A is M×K, B is K×N, the accumulator M×N.
template <class Use, int M, int N, int K>
struct tile_shape {
    static constexpr int rows = std::is_same<Use, matrix_b>::value ? K : M;
    static constexpr int cols = std::is_same<Use, matrix_a>::value ? K : N;
};

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static_assert(M == 16 && N == 16 && K == 8, "the emulator supports wmma m16n16k8 (TF32) only");
    static_assert(std::is_same<Use, accumulator>::value ? std::is_same<T, float>::value
                                                        : std::is_same<T, precision::tf32>::value,
                  "the emulator supports TF32 operands with float accumulators only");
    static constexpr int rows = tile_shape<Use, M, N, K>::rows;
    static constexpr int cols = tile_shape<Use, M, N, K>::cols;
    static constexpr int num_elements = rows * cols;
    float x[num_elements];  // element (r, c) at x[r·cols + c]
};

inline float tf32_bits_of(float f) {  // the TF32 value a tensor core reads: the low 13 bits dropped
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u &= 0xffffe000u;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float __float_to_tf32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) {  // finite: add half a TF32 ulp to the magnitude, drop 13 bits
        u += 0x1000u;
        u &= 0xffffe000u;
    }
    std::memcpy(&f, &u, 4);
    return f;
}

inline void check_ptr(const void* p, unsigned ldm, const char* what) {
    if ((reinterpret_cast<uintptr_t>(p) & 31) != 0 || ldm % 4 != 0) {
        fprintf(stderr, "din4j emulator: wmma::%s with pointer %p (must be 32-byte aligned) and ldm %u (must be a multiple of 4 floats)\n",
                what, p, ldm);
        abort();
    }
}

template <class Use, int M, int N, int K, class T, class Layout>
inline void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, float v) {
    for (int i = 0; i < f.num_elements; i++) f.x[i] = v;
}

// Operand fragments: element (r, c) at p[r·ldm + c] (row_major) or p[c·ldm + r] (col_major).
template <class Use, int M, int N, int K, class Layout>
inline void load_matrix_sync(fragment<Use, M, N, K, precision::tf32, Layout>& f, const float* p, unsigned ldm) {
    check_ptr(p, ldm, "load_matrix_sync");
    constexpr bool row = std::is_same<Layout, row_major>::value;
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = row ? p[r * ldm + c] : p[c * ldm + r];
}

template <int M, int N, int K>
inline void load_matrix_sync(fragment<accumulator, M, N, K, float, void>& f, const float* p, unsigned ldm, layout_t l) {
    check_ptr(p, ldm, "load_matrix_sync");
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
}

template <int M, int N, int K>
inline void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float, void>& f, unsigned ldm, layout_t l) {
    check_ptr(p, ldm, "store_matrix_sync");
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) (l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.x[r * f.cols + c];
}

// d = a·b + c (d may alias c).
template <int M, int N, int K, class LA, class LB>
inline void mma_sync(fragment<accumulator, M, N, K, float, void>& d, const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
                     const fragment<matrix_b, M, N, K, precision::tf32, LB>& b, const fragment<accumulator, M, N, K, float, void>& c) {
    emu::warp_ballot(true, 0xffffffffu);  // a warp collective: every lane of the (full) warp must arrive
    float out[M * N];
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float s = c.x[m * N + n];
            for (int k = 0; k < K; k++) s += tf32_bits_of(a.x[m * K + k]) * tf32_bits_of(b.x[k * N + n]);
            out[m * N + n] = s;
        }
    for (int i = 0; i < M * N; i++) d.x[i] = out[i];
}

}  // namespace wmma
}  // namespace nvcuda
