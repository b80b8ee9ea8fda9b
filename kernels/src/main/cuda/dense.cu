// Dense layers: a simple shared-memory tiled SGEMM (the emulated device's GEMM, and the fallback where cuBLAS is
// absent) and the bias kernels. On a real GPU the backend calls cuBLAS for GEMMs.

#define GEMM_TILE 16

// Row-major C[M, N] = alpha·op(A)·op(B) + beta·C, op(A) [M, K], op(B) [K, N]; A is read as [K, M] (lda) when
// transA, B as [N, K] (ldb) when transB. beta == 0 never reads C. Block (16, 16); tiles of 16×16 outputs, row tiles
// over grid x and column tiles over grid y, each a grid-stride loop: M is the big dimension (B·T rows, millions)
// and only gridDim.x may exceed 65535, so any grid the host picks covers any M and N.
extern "C" __global__ void gemm_forward(int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    STATIC_SHARED(float, As, [GEMM_TILE][GEMM_TILE + 1]);
    STATIC_SHARED(float, Bs, [GEMM_TILE][GEMM_TILE + 1]);
    int tx = threadIdx.x, ty = threadIdx.y;
    long long tilesM = ((long long)M + GEMM_TILE - 1) / GEMM_TILE;
    int tilesN = (N + GEMM_TILE - 1) / GEMM_TILE;
    for (long long tm = blockIdx.x; tm < tilesM; tm += gridDim.x) {
        for (int tn = blockIdx.y; tn < tilesN; tn += gridDim.y) {
            long long row = tm * GEMM_TILE + ty;
            int col = tn * GEMM_TILE + tx;
            float acc = 0.f;
            for (int k0 = 0; k0 < K; k0 += GEMM_TILE) {
                int ka = k0 + tx, kb = k0 + ty;
                float a = 0.f, b = 0.f;
                if (row < M && ka < K) a = transA ? A[(long long)ka * lda + row] : A[row * lda + ka];
                if (kb < K && col < N) b = transB ? B[(long long)col * ldb + kb] : B[(long long)kb * ldb + col];
                As[ty][tx] = a;
                Bs[ty][tx] = b;
                __syncthreads();
                for (int k = 0; k < GEMM_TILE; k++) acc += As[ty][k] * Bs[k][tx];
                __syncthreads();
            }
            if (row < M && col < N) {
                float* c = C + row * ldc + col;
                *c = beta == 0.f ? alpha * acc : alpha * acc + beta * *c;
            }
        }
    }
}

// y[n, :] += b.
extern "C" __global__ void bias_add_forward(float* y, const float* b, long long N, int C) {
    GRID_STRIDE(i, N * C) y[i] += b[i % C];
}
