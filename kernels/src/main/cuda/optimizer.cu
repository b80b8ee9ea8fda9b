// Parameter updates, dense (element-wise) and sparse (only the rows listed in a SparseGrad: rows [count] with
// gradient rows values [count, D]). Bias corrections of Adam are computed on the host in double.

extern "C" __global__ void sgd_update(float* p, const float* g, long long n, float lr, float weightDecay) {
    GRID_STRIDE(i, n) p[i] -= lr * (g[i] + weightDecay * p[i]);
}

extern "C" __global__ void adagrad_update(float* p, const float* g, float* acc, long long n, float lr, float eps) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float a = acc[i] + gi * gi;
        acc[i] = a;
        p[i] -= lr * gi / (sqrtf(a) + eps);
    }
}

// m̂ = m / bc1, v̂ = v / bc2 with bc1 = 1 − β1^step, bc2 = 1 − β2^step.
extern "C" __global__ void adam_update(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}

// The rows a sparse update covers: the gradient's count, read on the device (so the host never waits for it),
// capped by the host's bound `bound` (the grid was sized for it, and rows past the count hold stale ids).
__device__ __forceinline__ int sparse_rows(const int* count, int bound) {
    return min(count[0], bound);
}

extern "C" __global__ void sgd_sparse_update(float* table, const int* rows, const float* values, const int* count, int bound, int D, float lr) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        table[(long long)rows[s] * D + d] -= lr * values[i];
    }
}

extern "C" __global__ void adagrad_sparse_update(float* table, const int* rows, const float* values, float* acc, const int* count, int bound, int D, float lr, float eps) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        long long j = (long long)rows[s] * D + d;
        float gi = values[i];
        float a = acc[j] + gi * gi;
        acc[j] = a;
        table[j] -= lr * gi / (sqrtf(a) + eps);
    }
}

// Lazy Adam: only the touched rows' moments decay and update.
extern "C" __global__ void adam_sparse_update(float* table, const int* rows, const float* values, float* m, float* v, const int* count, int bound, int D, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        long long j = (long long)rows[s] * D + d;
        float gi = values[i];
        float mi = beta1 * m[j] + (1.f - beta1) * gi;
        float vi = beta2 * v[j] + (1.f - beta2) * gi * gi;
        m[j] = mi;
        v[j] = vi;
        table[j] -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}

// DIN eq. 4, mini-batch aware regularization: values[s] += λ·table[rows[s]] / max(frequency[rows[s]], 1).
extern "C" __global__ void mba_regularize_update(const float* table, const int* rows, float* values, const float* frequency, const int* count, int bound, int D, float lambda) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        int r = rows[s];
        values[i] += lambda * table[(long long)r * D + d] / fmaxf(frequency[r], 1.f);
    }
}
