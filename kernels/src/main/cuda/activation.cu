// Element-wise activations over [N, C] and Dice (DIN paper eq. 9) with its batch statistics.

extern "C" __global__ void relu_forward(const float* x, float* y, long long n) {
    GRID_STRIDE(i, n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

extern "C" __global__ void relu_backward(const float* x, const float* dy, float* dx, long long n) {
    GRID_STRIDE(i, n) if (x[i] > 0.f) dx[i] += dy[i];
}

extern "C" __global__ void sigmoid_forward(const float* x, float* y, long long n) {
    GRID_STRIDE(i, n) y[i] = sigmoid_f(x[i]);
}

extern "C" __global__ void sigmoid_backward(const float* y, const float* dy, float* dx, long long n) {
    GRID_STRIDE(i, n) dx[i] += dy[i] * y[i] * (1.f - y[i]);
}

extern "C" __global__ void prelu_forward(const float* x, const float* alpha, float* y, long long n, int C) {
    GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = v > 0.f ? v : alpha[i % C] * v;
    }
}

// dx += dy·(x > 0 ? 1 : α_c).
extern "C" __global__ void prelu_backward(const float* x, const float* alpha, const float* dy, float* dx, long long n, int C) {
    GRID_STRIDE(i, n) dx[i] += x[i] > 0.f ? dy[i] : alpha[i % C] * dy[i];
}

// Partials [chunks, C] of Σ_n dy·(x ≤ 0 ? x : 0), the PReLU slope gradient (reduced by reduce_partials_forward).
extern "C" __global__ void prelu_alpha_backward(const float* x, const float* dy, long long N, int C, long long rowsPerChunk, double* partial) {
    long long r0 = (long long)blockIdx.x * rowsPerChunk;
    long long r1 = min(N, r0 + rowsPerChunk);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        double s = 0;
        for (long long r = r0; r < r1; r++) {
            float v = x[r * C + c];
            if (v <= 0.f) s += (double)dy[r * C + c] * v;
        }
        partial[(long long)blockIdx.x * C + c] = s;
    }
}

// Dice statistics, two passes over the valid rows for an accurate variance. Pass 0 (mean == nullptr): partials
// [chunks, C + 1] of Σ x and, in column C, the number of valid rows. Pass 1: partials [chunks, C] of Σ (x − μ)².
extern "C" __global__ void dice_stats_forward(const float* x, long long N, int C, const int* lengths, int T, const float* mean, long long rowsPerChunk, double* partial) {
    long long r0 = (long long)blockIdx.x * rowsPerChunk;
    long long r1 = min(N, r0 + rowsPerChunk);
    int width = mean == nullptr ? C + 1 : C;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        double s = 0;
        for (long long r = r0; r < r1; r++) {
            if (!row_valid(r, lengths, T)) continue;
            if (c == C) {
                s += 1.0;
            } else if (mean == nullptr) {
                s += x[r * C + c];
            } else {
                double u = (double)x[r * C + c] - mean[c];
                s += u * u;
            }
        }
        partial[(long long)blockIdx.x * width + c] = s;
    }
}

// From the reduced sums: pass 0 writes saved[c] = mean and saved[2C] = valid rows; pass 1 writes
// saved[C + c] = biased variance and moves the running statistics towards the batch's by `momentum`
// (skipped when no row is valid).
extern "C" __global__ void dice_stats_final_forward(const double* sums, int C, int pass, float* saved, float* runningMean, float* runningVar, float momentum) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
        if (pass == 0) {
            double cnt = sums[C];
            saved[c] = cnt > 0 ? (float)(sums[c] / cnt) : 0.f;
            if (c == 0) saved[2 * C] = (float)cnt;
        } else {
            double cnt = saved[2 * C];
            float var = cnt > 0 ? (float)(sums[c] / cnt) : 0.f;
            saved[C + c] = var;
            if (runningMean != nullptr && cnt > 0) {
                runningMean[c] = (1.f - momentum) * runningMean[c] + momentum * saved[c];
                runningVar[c] = (1.f - momentum) * runningVar[c] + momentum * var;
            }
        }
    }
}

// y = x·(α + (1 − α)·p), p = σ((x − μ)/sqrt(σ² + ε)) with the given statistics (batch or running).
extern "C" __global__ void dice_forward(const float* x, const float* alpha, const float* mean, const float* var, float eps, float* y, long long n, int C) {
    GRID_STRIDE(i, n) {
        int c = (int)(i % C);
        float v = x[i];
        float p = sigmoid_f((v - mean[c]) * rsqrtf(var[c] + eps));
        y[i] = v * (alpha[c] + (1.f - alpha[c]) * p);
    }
}

// Backward partials [chunks, C, 3] over valid rows: with x̂ = (x − μ)/s, g = dy·x·(1 − α)·p(1 − p) (= ∂L/∂x̂):
// Σ g, Σ g·x̂ and Σ dy·x·(1 − p) (= ∂L/∂α).
extern "C" __global__ void dice_partials_backward(const float* x, const float* dy, long long N, int C, const int* lengths, int T, const float* alpha, const float* saved, float eps, long long rowsPerChunk, double* partial) {
    long long r0 = (long long)blockIdx.x * rowsPerChunk;
    long long r1 = min(N, r0 + rowsPerChunk);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float mu = saved[c], inv = rsqrtf(saved[C + c] + eps), a = alpha[c];
        double sg = 0, sgx = 0, sa = 0;
        for (long long r = r0; r < r1; r++) {
            if (!row_valid(r, lengths, T)) continue;
            float v = x[r * C + c], d = dy[r * C + c];
            float xh = (v - mu) * inv;
            float p = sigmoid_f(xh);
            float g = d * v * (1.f - a) * p * (1.f - p);
            sg += g;
            sgx += (double)g * xh;
            sa += (double)d * v * (1.f - p);
        }
        double* o = partial + ((long long)blockIdx.x * C + c) * 3;
        o[0] = sg;
        o[1] = sgx;
        o[2] = sa;
    }
}

// dx += dy·(α + (1 − α)·p) + (g − mean(g) − x̂·mean(g·x̂)) / s on valid rows (the batch-norm backward through
// μ and σ²); sums [C, 3] are the reduced partials of dice_partials_backward.
extern "C" __global__ void dice_backward(const float* x, const float* dy, float* dx, long long N, int C, const int* lengths, int T, const float* alpha, const float* saved, float eps, const double* sums) {
    GRID_STRIDE(i, N * C) {
        long long r = i / C;
        if (!row_valid(r, lengths, T)) continue;
        int c = (int)(i - r * C);
        float cnt = saved[2 * C];
        float mu = saved[c], inv = rsqrtf(saved[C + c] + eps), a = alpha[c];
        float v = x[i], d = dy[i];
        float xh = (v - mu) * inv;
        float p = sigmoid_f(xh);
        float g = d * v * (1.f - a) * p * (1.f - p);
        float gm = (float)(sums[c * 3] / cnt), gxm = (float)(sums[c * 3 + 1] / cnt);
        dx[i] += d * (a + (1.f - a) * p) + (g - gm - xh * gxm) * inv;
    }
}

// dAlpha[c] += Σ dy·x·(1 − p) from the reduced sums.
extern "C" __global__ void dice_alpha_backward(const double* sums, int C, float* dAlpha) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) dAlpha[c] += (float)sums[c * 3 + 2];
}
