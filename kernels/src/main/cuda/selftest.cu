// Kernels that test the emulator itself (and, on a GPU, the same built-ins): warp collectives, dynamic shared
// memory poisoning, and a barrier that can never complete. Not used by the backend.

// out[tid] = {xor-1 partner's lane, lane + 1 from shfl_down (own lane at the warp's end), ballot of odd lanes,
// all(lane < 32), any(lane == 5), warp sum of lanes}, 6 ints per thread.
extern "C" __global__ void selftest_warp_forward(int* out) {
    int lane = threadIdx.x & 31;
    int* o = out + 6 * (blockIdx.x * blockDim.x + threadIdx.x);
    o[0] = __shfl_xor_sync(FULL_MASK, lane, 1);
    o[1] = __shfl_down_sync(FULL_MASK, lane, 1);
    o[2] = (int)__ballot_sync(FULL_MASK, lane & 1);
    o[3] = __all_sync(FULL_MASK, lane < 32);
    o[4] = __any_sync(FULL_MASK, lane == 5);
    o[5] = warp_sum(lane);
}

// out[tid] = the dynamic shared word at tid, read before anything wrote it (NaN on the emulator), then the block
// sum of tid through shared memory.
extern "C" __global__ void selftest_shared_forward(float* out, float* sums) {
    DYN_SHARED(float, sm);
    STATIC_SHARED(float, scratch, [33]);
    out[blockIdx.x * blockDim.x + threadIdx.x] = sm[threadIdx.x];
    float s = block_sum((float)threadIdx.x, scratch);
    if (threadIdx.x == 0) sums[blockIdx.x] = s;
}

// Half the threads leave before the barrier: undefined on a GPU, a reported deadlock on the emulator.
extern "C" __global__ void selftest_divergent_barrier_forward(int* out) {
    if (threadIdx.x < blockDim.x / 2) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

// out[tid] = the static shared word at threadIdx.x, read before this block wrote it (NaN on the emulator, which
// poisons static shared memory per block; garbage on a GPU), then written with this block's index, so a block
// that sees the words of a block before it shows a number instead of NaN.
extern "C" __global__ void selftest_static_shared_forward(float* out) {
    STATIC_SHARED(float, words, [64]);
    int t = threadIdx.x;
    out[blockIdx.x * blockDim.x + t] = words[t & 63];
    __syncthreads();
    words[t & 63] = (float)blockIdx.x;
    __syncthreads();
}

// Dynamic shared memory of any size: thread 0 writes the last word and reads it back into out[0]; launched to test
// the 48 KiB default, the opt-in and the opt-in maximum (the launch is what is under test, not the kernel).
extern "C" __global__ void selftest_optin_shared_forward(float* out, int words) {
    DYN_SHARED(float, sm);
    if (threadIdx.x == 0) {
        sm[words - 1] = 7.f;
        out[0] = sm[words - 1];
    }
}

// Tensor cores, one warp: c [16, 16] = a [16, 8] · b [8, 16] (both row-major) with TF32 operands converted by
// __float_to_tf32 and FP32 accumulation, and rounded[i] = __float_to_tf32(x[i]) for i < n.
extern "C" __global__ void selftest_wmma_forward(const float* a, const float* b, float* c, const float* x, float* rounded, int n) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) rounded[i] = wmma::__float_to_tf32(x[i]);
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
    wmma::fill_fragment(acc, 0.f);
    wmma::load_matrix_sync(fa, a, 8);
    wmma::load_matrix_sync(fb, b, 16);
    for (int e = 0; e < fa.num_elements; e++) fa.x[e] = wmma::__float_to_tf32(fa.x[e]);
    for (int e = 0; e < fb.num_elements; e++) fb.x[e] = wmma::__float_to_tf32(fb.x[e]);
    wmma::mma_sync(acc, fa, fb, acc);
    wmma::store_matrix_sync(c, acc, 16, wmma::mem_row_major);
}
