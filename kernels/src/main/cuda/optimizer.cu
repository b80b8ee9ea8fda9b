// Parameter updates, dense (element-wise) and sparse (only the rows listed in a SparseGrad: rows [count] with
// gradient rows values [count, D]). Bias corrections of Adam are computed on the host in double.
//
// Each update has a `_dev` twin that reads its per-step scalars from device memory (`hyper`: the learning rate,
// then Adam's two bias corrections, or MBA's λ) instead of taking them as arguments: a training step captured as a
// CUDA graph replays with fixed arguments, so whatever changes per step must live on the device (the trainer
// uploads it with the batch). The arithmetic is the same inline function, so both give the same bits.

__device__ __forceinline__ void sgd_body(float* p, const float* g, long long n, float lr, float weightDecay) {
    GRID_STRIDE(i, n) p[i] -= lr * (g[i] + weightDecay * p[i]);
}

extern "C" __global__ void sgd_update(float* p, const float* g, long long n, float lr, float weightDecay) {
    sgd_body(p, g, n, lr, weightDecay);
}

extern "C" __global__ void sgd_update_dev(float* p, const float* g, long long n, const float* hyper, float weightDecay) {
    sgd_body(p, g, n, hyper[0], weightDecay);
}

__device__ __forceinline__ void adagrad_body(float* p, const float* g, float* acc, long long n, float lr, float eps) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float a = acc[i] + gi * gi;
        acc[i] = a;
        p[i] -= lr * gi / (sqrtf(a) + eps);
    }
}

extern "C" __global__ void adagrad_update(float* p, const float* g, float* acc, long long n, float lr, float eps) {
    adagrad_body(p, g, acc, n, lr, eps);
}

extern "C" __global__ void adagrad_update_dev(float* p, const float* g, float* acc, long long n, const float* hyper, float eps) {
    adagrad_body(p, g, acc, n, hyper[0], eps);
}

// m̂ = m / bc1, v̂ = v / bc2 with bc1 = 1 − β1^step, bc2 = 1 − β2^step.
__device__ __forceinline__ void adam_body(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}

extern "C" __global__ void adam_update(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
    adam_body(p, g, m, v, n, lr, beta1, beta2, eps, bc1, bc2);
}

// hyper = {lr, bc1, bc2}.
extern "C" __global__ void adam_update_dev(float* p, const float* g, float* m, float* v, long long n, const float* hyper, float beta1, float beta2, float eps) {
    adam_body(p, g, m, v, n, hyper[0], beta1, beta2, eps, hyper[1], hyper[2]);
}

// The rows a sparse update covers: the gradient's count, read on the device (so the host never waits for it),
// capped by the host's bound `bound` (the grid was sized for it, and rows past the count hold stale ids).
__device__ __forceinline__ int sparse_rows(const int* count, int bound) {
    return min(count[0], bound);
}

__device__ __forceinline__ void sgd_sparse_body(float* table, const int* rows, const float* values, const int* count, int bound, int D, float lr) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        table[(long long)rows[s] * D + d] -= lr * values[i];
    }
}

extern "C" __global__ void sgd_sparse_update(float* table, const int* rows, const float* values, const int* count, int bound, int D, float lr) {
    sgd_sparse_body(table, rows, values, count, bound, D, lr);
}

extern "C" __global__ void sgd_sparse_update_dev(float* table, const int* rows, const float* values, const int* count, int bound, int D, const float* hyper) {
    sgd_sparse_body(table, rows, values, count, bound, D, hyper[0]);
}

__device__ __forceinline__ void adagrad_sparse_body(float* table, const int* rows, const float* values, float* acc, const int* count, int bound, int D, float lr, float eps) {
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

extern "C" __global__ void adagrad_sparse_update(float* table, const int* rows, const float* values, float* acc, const int* count, int bound, int D, float lr, float eps) {
    adagrad_sparse_body(table, rows, values, acc, count, bound, D, lr, eps);
}

extern "C" __global__ void adagrad_sparse_update_dev(float* table, const int* rows, const float* values, float* acc, const int* count, int bound, int D, const float* hyper, float eps) {
    adagrad_sparse_body(table, rows, values, acc, count, bound, D, hyper[0], eps);
}

// Lazy Adam: only the touched rows' moments decay and update.
__device__ __forceinline__ void adam_sparse_body(float* table, const int* rows, const float* values, float* m, float* v, const int* count, int bound, int D, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
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

extern "C" __global__ void adam_sparse_update(float* table, const int* rows, const float* values, float* m, float* v, const int* count, int bound, int D, float lr, float beta1, float beta2, float eps, float bc1, float bc2) {
    adam_sparse_body(table, rows, values, m, v, count, bound, D, lr, beta1, beta2, eps, bc1, bc2);
}

// hyper = {lr, bc1, bc2}.
extern "C" __global__ void adam_sparse_update_dev(float* table, const int* rows, const float* values, float* m, float* v, const int* count, int bound, int D, const float* hyper, float beta1, float beta2, float eps) {
    adam_sparse_body(table, rows, values, m, v, count, bound, D, hyper[0], beta1, beta2, eps, hyper[1], hyper[2]);
}

// DIN eq. 4, mini-batch aware regularization: values[s] += λ·table[rows[s]] / max(frequency[rows[s]], 1).
__device__ __forceinline__ void mba_body(const float* table, const int* rows, float* values, const float* frequency, const int* count, int bound, int D, float lambda) {
    GRID_STRIDE(i, (long long)sparse_rows(count, bound) * D) {
        long long s = i / D;
        int d = (int)(i - s * D);
        int r = rows[s];
        values[i] += lambda * table[(long long)r * D + d] / fmaxf(frequency[r], 1.f);
    }
}

extern "C" __global__ void mba_regularize_update(const float* table, const int* rows, float* values, const float* frequency, const int* count, int bound, int D, float lambda) {
    mba_body(table, rows, values, frequency, count, bound, D, lambda);
}

// hyper = {λ}.
extern "C" __global__ void mba_regularize_update_dev(const float* table, const int* rows, float* values, const float* frequency, const int* count, int bound, int D, const float* hyper) {
    mba_body(table, rows, values, frequency, count, bound, D, hyper[0]);
}
