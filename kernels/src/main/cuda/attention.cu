// DIN's local activation unit (paper Fig. 2) with the candidate fold.
//
// The first layer sees [q, k, q − k, q ⊙ k]. Splitting its weight W [H, 4D] into blocks W1..W4 of D columns:
//   W·[q, k, q − k, q ⊙ k] = (W2 − W3 + W4·diag(q))·k + (W1 + W3)·q.
// So per sample we build A_q = Wkk + W4·diag(q) (Wkk = W2 − W3) and c_q = Wq·q + b (Wq = W1 + W3) once, and each
// of the T behaviours costs one D-wide dot per hidden unit instead of a 4D-wide one; no [B, T, 4D] tensor exists.
// The backward pass folds the same way:
//   ∂k = dz·Wkk + q ⊙ (dz·W4),   ∂q = Σ_t k ⊙ (dz·W4) + Gᵀ·Wq with G = Σ_t dz,
//   ∂W1 = Gᵀq, ∂W2 = Σ dzᵀk, ∂W3 = ∂W1 − ∂W2, ∂W4 = Σ dzᵀ(q ⊙ k), ∂b = Σ G.

// folded [3, H, D] = {Wkk, W4, Wq} from W [H, 4D].
extern "C" __global__ void attention_fold_forward(const float* W, float* folded, int H, int D) {
    GRID_STRIDE(i, (long long)H * D) {
        int h = (int)(i / D), d = (int)(i - (long long)h * D);
        const float* w = W + (long long)h * 4 * D;
        long long HD = (long long)H * D;
        folded[i] = w[D + d] - w[2 * D + d];
        folded[HD + i] = w[3 * D + d];
        folded[2 * HD + i] = w[d] + w[2 * D + d];
    }
}

// Builds sample b's folded first layer in shared memory: qs = q[b], A = Wkk + W4·diag(q) (rows padded to D + 1),
// c = Wq·q + bias. Every thread of the block calls it; it ends with a barrier.
__device__ __forceinline__ void attention_fold_sample(const float* q, const float* folded, const float* bias, int b, int D,
                                                      int H, float* A, float* c, float* qs) {
    const float* Wkk = folded;
    const float* W4 = folded + (long long)H * D;
    const float* Wq = folded + 2LL * H * D;
    int Dp = D + 1;
    for (int d = threadIdx.x; d < D; d += blockDim.x) qs[d] = q[(long long)b * D + d];
    __syncthreads();
    for (int i = threadIdx.x; i < H * D; i += blockDim.x) {
        int h = i / D, d = i - h * D;
        A[h * Dp + d] = Wkk[i] + W4[i] * qs[d];
    }
    for (int h = threadIdx.x; h < H; h += blockDim.x) {
        float s = bias[h];
        for (int d = 0; d < D; d++) s += Wq[(long long)h * D + d] * qs[d];
        c[h] = s;
    }
    __syncthreads();
}

// z1[b, t, :] = A_q·k[b, t] + c_q for t < len_b, 0 at padding. One block per sample; dynamic shared memory holds
// A_q (rows padded to D + 1 floats against bank conflicts), c_q and q: ((H·(D + 1) + H + D)·4 bytes.
extern "C" __global__ void attention_layer1_forward(const float* q, const float* keys, const int* lengths, const float* folded, const float* bias, float* z1, int B, int T, int D, int H) {
    DYN_SHARED(float, sm);
    int Dp = D + 1;
    float* A = sm;
    float* c = A + H * Dp;
    float* qs = c + H;
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        attention_fold_sample(q, folded, bias, b, D, H, A, c, qs);
        int len = lengths[b];
        for (int i = threadIdx.x; i < T * H; i += blockDim.x) {
            int t = i / H, h = i - t * H;
            float z = 0.f;
            if (t < len) {
                const float* k = keys + ((long long)b * T + t) * D;
                z = c[h];
                for (int d = 0; d < D; d++) z += A[h * Dp + d] * k[d];
            }
            z1[(long long)b * T * H + i] = z;
        }
        __syncthreads();
    }
}

// scores[b, t] = raw[b, t] + bOut on valid positions, 0 at padding.
extern "C" __global__ void attention_scores_forward(const float* raw, const float* bOut, const int* lengths, float* scores, int B, int T) {
    GRID_STRIDE(i, (long long)B * T) scores[i] = (int)(i % T) < lengths[i / T] ? raw[i] + bOut[0] : 0.f;
}

// ds = dScores on valid positions, 0 at padding (padding scores are constants and get no gradient).
extern "C" __global__ void attention_scores_backward(const float* dScores, const int* lengths, float* ds, int B, int T) {
    GRID_STRIDE(i, (long long)B * T) ds[i] = (int)(i % T) < lengths[i / T] ? dScores[i] : 0.f;
}

// qk[b, t, :] = q[b] ⊙ k[b, t] on valid positions, 0 at padding: the operand of ∂W4 = Σ dzᵀ(q ⊙ k).
extern "C" __global__ void attention_qk_forward(const float* q, const float* keys, const int* lengths, float* qk, int B, int T, int D) {
    GRID_STRIDE(i, (long long)B * T * D) {
        long long bt = i / D;
        int d = (int)(i - bt * D);
        int b = (int)(bt / T), t = (int)(bt - (long long)b * T);
        qk[i] = t < lengths[b] ? q[(long long)b * D + d] * keys[i] : 0.f;
    }
}

// Backward of attention_layer1_forward for the inputs: dKeys += dz·Wkk + q ⊙ (dz·W4) on valid positions,
// dq += Σ_t k ⊙ (dz·W4) + Gᵀ·Wq, and G[b] = Σ_t dz1[b, t] (overwritten; the weight gradients are GEMMs over it).
// One block per sample; dynamic shared memory: (D + H + blockDim.x + D)·4 bytes.
extern "C" __global__ void attention_layer1_backward(const float* q, const float* keys, const int* lengths, const float* folded, const float* dz1, float* dq, float* dKeys, float* G, int B, int T, int D, int H) {
    DYN_SHARED(float, sm);
    float* qs = sm;
    float* Gs = qs + D;
    float* red = Gs + H;
    const float* Wkk = folded;
    const float* W4 = folded + (long long)H * D;
    const float* Wq = folded + 2LL * H * D;
    int parts = max(1, (int)blockDim.x / D);
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        int len = lengths[b];
        const float* dz = dz1 + (long long)b * T * H;
        const float* kb = keys + (long long)b * T * D;
        for (int d = threadIdx.x; d < D; d += blockDim.x) qs[d] = q[(long long)b * D + d];
        for (int h = threadIdx.x; h < H; h += blockDim.x) {
            float s = 0.f;
            for (int t = 0; t < len; t++) s += dz[(long long)t * H + h];
            Gs[h] = s;
            G[(long long)b * H + h] = s;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < len * D; i += blockDim.x) {
            int t = i / D, d = i - t * D;
            float u = 0.f, v = 0.f;
            for (int h = 0; h < H; h++) {
                float g = dz[(long long)t * H + h];
                u += g * W4[(long long)h * D + d];
                v += g * Wkk[(long long)h * D + d];
            }
            dKeys[(long long)b * T * D + i] += v + qs[d] * u;
        }
        for (int i = threadIdx.x; i < parts * D; i += blockDim.x) {
            int part = i / D, d = i - part * D;
            float s = 0.f;
            for (int t = part; t < len; t += parts) {
                float u = 0.f;
                for (int h = 0; h < H; h++) u += dz[(long long)t * H + h] * W4[(long long)h * D + d];
                s += kb[(long long)t * D + d] * u;
            }
            red[i] = s;
        }
        __syncthreads();
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            float s = 0.f;
            for (int part = 0; part < parts; part++) s += red[part * D + d];
            for (int h = 0; h < H; h++) s += Wq[(long long)h * D + d] * Gs[h];
            dq[(long long)b * D + d] += s;
        }
        __syncthreads();
    }
}

// dW [H, 4D] += [M1, M2, M1 − M2, M4] with M1 = Gᵀq, M2 = Σ dzᵀk, M4 = Σ dzᵀ(q ⊙ k), each [H, D].
extern "C" __global__ void attention_fold_backward(const float* M1, const float* M2, const float* M4, float* dW, int H, int D) {
    GRID_STRIDE(i, (long long)H * D) {
        int h = (int)(i / D), d = (int)(i - (long long)h * D);
        float* w = dW + (long long)h * 4 * D;
        w[d] += M1[i];
        w[D + d] += M2[i];
        w[2 * D + d] += M1[i] - M2[i];
        w[3 * D + d] += M4[i];
    }
}

__device__ __forceinline__ float attention_act(int act, float z, float alpha, float mean, float var, float eps) {
    switch (act) {
        case ACT_DICE: return z * (alpha + (1.f - alpha) * sigmoid_f((z - mean) * rsqrtf(var + eps)));
        case ACT_PRELU: return z > 0.f ? z : alpha * z;
        case ACT_SIGMOID: return sigmoid_f(z);
        default: return z > 0.f ? z : 0.f;
    }
}

// Inference, fused: (gather →) attention MLP → scores (→ weighted-sum pooling), one block per sample, one warp per
// behaviour; every intermediate stays in shared memory.
//  - keys [B, T, D], or (keys == nullptr) rows of table [V, D] picked by ids [B, T];
//  - packed: per layer l < L: (l == 0 ? nothing : W_l [H_l, H_{l−1}]), b_l, α_l, running mean_l, running var_l
//    (each [H_l]); then w_out [H_{L−1}], b_out [1]. folded = attention_fold_forward of W_0.
//  - dims [L] = hidden widths; scores [B, T] and pooled [B, D] are each optional (nullptr).
// Dynamic shared memory (floats): packedLen + H0·(D + 1) + H0 + D + warps·(D + 2·Hmax) + warps·D.
extern "C" __global__ void attention_fused_forward(const float* q, const float* keys, const float* table, const int* ids, const int* lengths, const float* folded, const float* packed, int packedLen, const int* dims, int L, int act, float eps, float* scores, float* pooled, int B, int T, int D) {
    DYN_SHARED(float, sm);
    int H0 = dims[0];
    int Hmax = 0;
    for (int l = 0; l < L; l++) Hmax = max(Hmax, dims[l]);
    int Dp = D + 1;
    int nw = blockDim.x >> 5, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* P = sm;
    float* A = P + packedLen;
    float* c = A + H0 * Dp;
    float* qs = c + H0;
    float* wbuf = qs + D + warp * (D + 2 * Hmax);
    float* kbuf = wbuf;
    float* buf0 = kbuf + D;
    float* buf1 = buf0 + Hmax;
    float* pool = qs + D + nw * (D + 2 * Hmax);
    for (int i = threadIdx.x; i < packedLen; i += blockDim.x) P[i] = packed[i];
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        __syncthreads();
        for (int i = threadIdx.x; i < nw * D; i += blockDim.x) pool[i] = 0.f;
        attention_fold_sample(q, folded, P, b, D, H0, A, c, qs);  // P starts with layer 0's bias
        int len = lengths[b];
        for (int t = warp; t < len; t += nw) {
            long long bt = (long long)b * T + t;
            const float* k = keys != nullptr ? keys + bt * D : table + (long long)ids[bt] * D;
            for (int d = lane; d < D; d += 32) kbuf[d] = k[d];
            __syncwarp();
            // layer 0 (folded), then layers 1..L-1, ping-ponging between buf0 and buf1
            const float* lp = P;  // b, α, mean, var of layer 0
            for (int h = lane; h < H0; h += 32) {
                float z = c[h];
                for (int d = 0; d < D; d++) z += A[h * Dp + d] * kbuf[d];
                buf0[h] = attention_act(act, z, lp[H0 + h], lp[2 * H0 + h], lp[3 * H0 + h], eps);
            }
            __syncwarp();
            const float* cur = buf0;
            float* nxt = buf1;
            const float* p = P + 4 * H0;
            int Hin = H0;
            for (int l = 1; l < L; l++) {
                int Hl = dims[l];
                const float* W = p;
                const float* bl = W + Hl * Hin;
                for (int h = lane; h < Hl; h += 32) {
                    float z = bl[h];
                    for (int j = 0; j < Hin; j++) z += W[h * Hin + j] * cur[j];
                    nxt[h] = attention_act(act, z, bl[Hl + h], bl[2 * Hl + h], bl[3 * Hl + h], eps);
                }
                __syncwarp();
                p = bl + 4 * Hl;
                Hin = Hl;
                float* tmp = const_cast<float*>(cur);
                cur = nxt;
                nxt = tmp;
            }
            float s = 0.f;
            for (int h = lane; h < Hin; h += 32) s += p[h] * cur[h];
            s = warp_sum(s) + p[Hin];
            if (scores != nullptr && lane == 0) scores[bt] = s;
            if (pooled != nullptr)
                for (int d = lane; d < D; d += 32) pool[warp * D + d] += s * kbuf[d];
            __syncwarp();
        }
        if (scores != nullptr)
            for (int t = len + threadIdx.x; t < T; t += blockDim.x) scores[(long long)b * T + t] = 0.f;
        __syncthreads();
        if (pooled != nullptr)
            for (int d = threadIdx.x; d < D; d += blockDim.x) {
                float s = 0.f;
                for (int w = 0; w < nw; w++) s += pool[w * D + d];
                pooled[(long long)b * D + d] = s;
            }
    }
}
