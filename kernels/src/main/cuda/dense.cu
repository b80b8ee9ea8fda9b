// Dense layers: a simple shared-memory tiled SGEMM (the emulated device's GEMM, and the fallback where cuBLAS is
// absent) and the bias kernels. On a real GPU the backend calls cuBLAS for GEMMs.

#define GEMM_TILE 16

// Row-major C[M, N] = alpha·op(A)·op(B) + beta·C, op(A) [M, K], op(B) [K, N]; A is read as [K, M] (lda) when
// transA, B as [N, K] (ldb) when transB. beta == 0 never reads C. Block (16, 16), grid (⌈N/16⌉, ⌈M/16⌉).
extern "C" __global__ void gemm_forward(int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    __shared__ float As[GEMM_TILE][GEMM_TILE + 1];
    __shared__ float Bs[GEMM_TILE][GEMM_TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * GEMM_TILE + ty;
    int col = blockIdx.x * GEMM_TILE + tx;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += GEMM_TILE) {
        int ka = k0 + tx, kb = k0 + ty;
        float a = 0.f, b = 0.f;
        if (row < M && ka < K) a = transA ? A[(long long)ka * lda + row] : A[(long long)row * lda + ka];
        if (kb < K && col < N) b = transB ? B[(long long)col * ldb + kb] : B[(long long)kb * ldb + col];
        As[ty][tx] = a;
        Bs[ty][tx] = b;
        __syncthreads();
        for (int k = 0; k < GEMM_TILE; k++) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N) {
        float* c = C + (long long)row * ldc + col;
        *c = beta == 0.f ? alpha * acc : alpha * acc + beta * *c;
    }
}

// y[n, :] += b.
extern "C" __global__ void bias_add_forward(float* y, const float* b, long long N, int C) {
    GRID_STRIDE(i, N * C) y[i] += b[i % C];
}
