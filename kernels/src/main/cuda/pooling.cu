// Pooling of padded behaviour sequences [B, T, D] over each sample's valid positions.

// DIN eq. 3 (no normalisation): out[b, d] = Σ_{t < len_b} w[b, t]·keys[b, t, d].
extern "C" __global__ void weighted_sum_forward(const float* w, const float* keys, const int* lengths, float* out, int B, int T, int D) {
    GRID_STRIDE(i, (long long)B * D) {
        int b = (int)(i / D), d = (int)(i - (long long)b * D);
        int len = lengths[b];
        float s = 0.f;
        for (int t = 0; t < len; t++) s += w[(long long)b * T + t] * keys[((long long)b * T + t) * D + d];
        out[i] = s;
    }
}

// dKeys[b, t, d] += w[b, t]·dOut[b, d] on valid positions.
extern "C" __global__ void weighted_sum_backward_keys(const float* w, const int* lengths, const float* dOut, float* dKeys, int B, int T, int D) {
    grid_stride_narrow((long long)B * T * D, [&](auto i) {
        using I = decltype(i);
        I bt = i / (I)D;
        int d = (int)(i - bt * (I)D);
        int b = (int)(bt / (I)T), t = (int)(bt - (I)b * (I)T);
        if (t < lengths[b]) dKeys[i] += w[bt] * dOut[(long long)b * D + d];
    });
}

// dW[b, t] += Σ_d dOut[b, d]·keys[b, t, d] on valid positions. One warp per (b, t): lane d reads keys[b, t, d]
// and dOut[b, d], consecutive floats, so each warp load is one coalesced transaction (a thread per row read D
// floats D·4 bytes apart from its neighbours'); the dot product is a fixed shuffle tree, so still deterministic.
extern "C" __global__ void weighted_sum_backward_weights(const float* keys, const int* lengths, const float* dOut, float* dW, int B, int T, int D) {
    int lane = threadIdx.x & 31;
    WARP_STRIDE(bt, (long long)B * T) {
        int b = (int)(bt / T), t = (int)(bt - (long long)b * T);
        if (t >= lengths[b]) continue;
        float s = 0.f;
        for (int d = lane; d < D; d += 32) s += dOut[(long long)b * D + d] * keys[bt * D + d];
        s = warp_sum(s);
        if (lane == 0) dW[bt] += s;
    }
}

// Softmax over the valid positions of each row; one warp per row, 0 at padding.
extern "C" __global__ void masked_softmax_forward(const float* scores, const int* lengths, float* out, int B, int T) {
    int lane = threadIdx.x & 31;
    long long warpsTotal = (long long)gridDim.x * (blockDim.x >> 5);
    for (long long b = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); b < B; b += warpsTotal) {
        const float* s = scores + b * T;
        float* o = out + b * T;
        int len = lengths[b];
        float m = -INFINITY;
        for (int t = lane; t < len; t += 32) m = fmaxf(m, s[t]);
        m = warp_max(m);
        float z = 0.f;
        for (int t = lane; t < len; t += 32) z += expf(s[t] - m);
        z = warp_sum(z);
        for (int t = lane; t < T; t += 32) o[t] = t < len ? expf(s[t] - m) / z : 0.f;
    }
}

// dScores += p ⊙ (dOut − Σ p ⊙ dOut) on valid positions.
extern "C" __global__ void masked_softmax_backward(const float* p, const int* lengths, const float* dOut, float* dScores, int B, int T) {
    int lane = threadIdx.x & 31;
    long long warpsTotal = (long long)gridDim.x * (blockDim.x >> 5);
    for (long long b = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); b < B; b += warpsTotal) {
        int len = lengths[b];
        float dot = 0.f;
        for (int t = lane; t < len; t += 32) dot += p[b * T + t] * dOut[b * T + t];
        dot = warp_sum(dot);
        for (int t = lane; t < len; t += 32) dScores[b * T + t] += p[b * T + t] * (dOut[b * T + t] - dot);
    }
}

// BaseModel's sum pooling.
extern "C" __global__ void sum_pool_forward(const float* keys, const int* lengths, float* out, int B, int T, int D) {
    GRID_STRIDE(i, (long long)B * D) {
        int b = (int)(i / D), d = (int)(i - (long long)b * D);
        int len = lengths[b];
        float s = 0.f;
        for (int t = 0; t < len; t++) s += keys[((long long)b * T + t) * D + d];
        out[i] = s;
    }
}

extern "C" __global__ void sum_pool_backward(const int* lengths, const float* dOut, float* dKeys, int B, int T, int D) {
    grid_stride_narrow((long long)B * T * D, [&](auto i) {
        using I = decltype(i);
        I bt = i / (I)D;
        int d = (int)(i - bt * (I)D);
        int b = (int)(bt / (I)T), t = (int)(bt - (I)b * (I)T);
        if (t < lengths[b]) dKeys[i] += dOut[(long long)b * D + d];
    });
}
