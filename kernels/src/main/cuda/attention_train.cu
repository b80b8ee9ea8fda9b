// Fused training of DIN's local activation unit: forward and backward without the [B·T, H_l] intermediates.
//
// The layered path (attention.cu + GEMMs + activation kernels) writes every layer's pre-activation z_l and
// activation a_l over all B·T rows to device memory, reads them back for the Dice statistics, the next layer and
// the backward pass, and writes dz/da of the same size in backward. Here one block takes whole samples (grid-stride
// over B), tiles each sample's valid behaviours by ATT_ROWS rows and keeps the tile's keys, every layer's z and a,
// and in backward da/dz in shared memory; nothing per behaviour row leaves the block except the score (forward)
// and the key gradient (backward).
//
// Dice's batch statistics are global over the valid rows, so they need passes over the keys, not over
// intermediates:
//   forward  pass p < L (Dice only): recompute layers 0..p with the saved statistics of layers < p and write
//            per-block sums of layer p's z (shifted by the running mean, in double); a reduction and
//            attention_train_stats_forward turn them into layer p's batch mean/variance (and the running update);
//   forward  pass L: recompute every layer, write the scores.
//   backward pass p < L (Dice only): recompute forward, run backward from the score down to layer j = L − 1 − p
//            with the reduced sums of the layers above, write per-block Σg and Σg·x̂ of layer j (g = ∂L/∂x̂);
//   backward pass L: recompute forward and backward through every layer; accumulate every weight gradient into
//            this block's slice of a float partial buffer (each entry owned by one thread: no atomics), add the
//            key and query gradients, and a fixed-order reduction over blocks gives the parameter gradients.
// Other activations need only the last pass of each. The cost is recomputation (one D-wide dot per first-layer
// unit and row per pass), traded for HBM traffic: each pass reads the keys [B·T, D] once.
//
// Layouts (floats unless said):
//   packed  as attention_fused_forward: per layer l: (l ≥ 1: W_l [H_l, H_{l−1}]), b_l, α_l, running mean_l,
//           running var_l (each [H_l]); then w_out [H_{L−1}], b_out.
//   saved   per layer l: mean [H_l], var [H_l], valid rows [1] (the Dice batch statistics).
//   dsums   (double) per layer l: Σg [H_l], Σg·x̂ [H_l].
//   grads   per block: per layer l: (l ≥ 1: dW_l [H_l, H_{l−1}]), db_l, dα_l (each [H_l]); dw_out [H_{L−1}],
//           db_out [1]; M1 = Σ_b G_bᵀq_b, M2 = Σ dz_0ᵀk, M4 = Σ dz_0ᵀ(q ⊙ k) (each [H_0, D]), for
//           attention_fold_backward.
// Dynamic shared memory: see attention_train_shared (the host mirrors it in CudaAttentionOps.fusedTrainBytes).

#define ATT_ROWS 16
#define ATT_MAX_LAYERS 8

// Offsets of the layouts above for the layer widths in dims.
struct AttLayout {
    int L, D, H[ATT_MAX_LAYERS];
    int tf32, H0p, ldA, ldK;                           // first layer: A_q [H0p, ldA], key tile [ATT_ROWS, ldK]
    int pw[ATT_MAX_LAYERS], pb[ATT_MAX_LAYERS], pout;  // packed: W_l, b_l (α, mean, var follow b_l)
    int so[ATT_MAX_LAYERS], savedLen;                  // saved
    int dso[ATT_MAX_LAYERS], dsumsLen;                 // dsums
    int zo[ATT_MAX_LAYERS], sumH, Hmax;                // tile buffers: layer l's row r at zo[l] + r·H[l]
    int gw[ATT_MAX_LAYERS], gb[ATT_MAX_LAYERS], gout, gm, gradLen;  // grads
};

__device__ __forceinline__ void att_layout(const int* dims, int L, int D, int tf32, AttLayout& o) {
    o.L = L;
    o.D = D;
    // FP32: A_q rows padded to D + 1 floats (no bank conflicts in the per-unit dots). TF32 (wmma m16n16k8): units
    // padded to a multiple of 16, the inner dimension to a multiple of 8, rows to 8·k + 4 floats (a stride wmma
    // accepts, a multiple of 16 bytes, that also staggers banks), zero-filled.
    o.tf32 = tf32;
    int Dk = (D + 7) / 8 * 8;
    o.H0p = tf32 ? (dims[0] + 15) / 16 * 16 : dims[0];
    o.ldA = tf32 ? Dk + 4 : D + 1;
    o.ldK = tf32 ? Dk + 4 : D;
    int p = 0, s = 0, ds = 0, z = 0, g = 0, hmax = 0;
    for (int l = 0; l < L; l++) {
        int h = dims[l];
        o.H[l] = h;
        hmax = max(hmax, h);
        int win = l == 0 ? 0 : h * dims[l - 1];
        o.pw[l] = p;
        o.pb[l] = p + win;
        p += win + 4 * h;
        o.so[l] = s;
        s += 2 * h + 1;
        o.dso[l] = ds;
        ds += 2 * h;
        o.zo[l] = z;
        z += ATT_ROWS * h;
        o.gw[l] = g;
        o.gb[l] = g + win;
        g += win + 2 * h;
    }
    o.pout = p;
    o.savedLen = s;
    o.dsumsLen = ds;
    o.sumH = z / ATT_ROWS;
    o.Hmax = hmax;
    o.gout = g;
    o.gm = g + dims[L - 1] + 1;
    o.gradLen = o.gm + 3 * dims[0] * D;
}

// Activation of layer l at unit h; S holds the saved batch statistics (Dice).
__device__ __forceinline__ float att_act(const AttLayout& o, int act, int l, int h, float z, const float* P, const float* S, float eps) {
    int H = o.H[l];
    float alpha = P[o.pb[l] + H + h];
    float mean = 0.f, var = 0.f;
    if (act == ACT_DICE) {
        mean = S[o.so[l] + h];
        var = S[o.so[l] + H + h];
    }
    return attention_act(act, z, alpha, mean, var, eps);
}

// Forward of one tile of nr rows (keys in kt [nr, D]) through layers 0..upto: Z gets every layer's z, Y every
// layer's activation except layer `upto`'s when !actLast. Every thread of the block calls it; ends with a barrier.
__device__ __forceinline__ void att_tile_forward(const AttLayout& o, int act, float eps, int nr, int upto, bool actLast, const float* kt, const float* A, const float* c, const float* P, const float* S, float* Z, float* Y, float* Zt) {
    int D = o.D;
    int H0 = o.H[0];
    if (o.tf32) {
        // Zt [16, H0p] = kt [16, Dk] · A_qᵀ on tensor cores: TF32 operands (rounded to nearest, 10-bit mantissa),
        // FP32 accumulation; one warp per 16 units. Padding rows and columns are zero, so they add nothing.
        int warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
        int Dk = o.ldA - 4;
        for (int nt = warp; nt < o.H0p / 16; nt += nw) {
            wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
            wmma::fill_fragment(acc, 0.f);
            for (int k0 = 0; k0 < Dk; k0 += 8) {
                wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa;
                wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fb;
                wmma::load_matrix_sync(fa, kt + k0, o.ldK);
                wmma::load_matrix_sync(fb, A + nt * 16 * o.ldA + k0, o.ldA);  // B[k][n] = A_q[n][k]
                for (int e = 0; e < fa.num_elements; e++) fa.x[e] = wmma::__float_to_tf32(fa.x[e]);
                for (int e = 0; e < fb.num_elements; e++) fb.x[e] = wmma::__float_to_tf32(fb.x[e]);
                wmma::mma_sync(acc, fa, fb, acc);
            }
            wmma::store_matrix_sync(Zt + nt * 16, acc, o.H0p, wmma::mem_row_major);
        }
        __syncthreads();
        for (int i = threadIdx.x; i < nr * H0; i += blockDim.x) {
            int r = i / H0, h = i - r * H0;
            float z = c[h] + Zt[r * o.H0p + h];
            Z[o.zo[0] + i] = z;
            if (upto > 0 || actLast) Y[o.zo[0] + i] = att_act(o, act, 0, h, z, P, S, eps);
        }
    } else {
        for (int i = threadIdx.x; i < nr * H0; i += blockDim.x) {
            int r = i / H0, h = i - r * H0;
            float z = c[h];
            const float* a = A + h * o.ldA;
            const float* k = kt + r * o.ldK;
            for (int d = 0; d < D; d++) z += a[d] * k[d];
            Z[o.zo[0] + i] = z;
            if (upto > 0 || actLast) Y[o.zo[0] + i] = att_act(o, act, 0, h, z, P, S, eps);
        }
    }
    __syncthreads();
    for (int l = 1; l <= upto; l++) {
        int H = o.H[l], Hin = o.H[l - 1];
        const float* W = P + o.pw[l];
        const float* b = P + o.pb[l];
        const float* in = Y + o.zo[l - 1];
        for (int i = threadIdx.x; i < nr * H; i += blockDim.x) {
            int r = i / H, h = i - r * H;
            float z = b[h];
            const float* w = W + h * Hin;
            const float* x = in + r * Hin;
            for (int j = 0; j < Hin; j++) z += w[j] * x[j];
            Z[o.zo[l] + i] = z;
            if (l < upto || actLast) Y[o.zo[l] + i] = att_act(o, act, l, h, z, P, S, eps);
        }
        __syncthreads();
    }
}

// Copies the sample-independent parameters (packed, saved statistics) into shared memory.
__device__ __forceinline__ void att_load_params(const float* packed, int packedLen, const float* saved, int savedLen, float* P, float* S) {
    for (int i = threadIdx.x; i < packedLen; i += blockDim.x) P[i] = packed[i];
    for (int i = threadIdx.x; i < savedLen; i += blockDim.x) S[i] = saved[i];
    __syncthreads();
}

// Loads rows [t0, t0 + nr) of sample b's keys into kt [·, ldK]; for TF32 all ATT_ROWS rows and the padding
// columns, zero where there is no key (the tensor-core tile always spans 16 rows).
__device__ __forceinline__ void att_load_keys(const AttLayout& o, const float* keys, int b, int T, int t0, int nr, float* kt) {
    int D = o.D;
    const float* src = keys + ((long long)b * T + t0) * D;
    if (o.tf32) {
        for (int i = threadIdx.x; i < ATT_ROWS * o.ldK; i += blockDim.x) {
            int r = i / o.ldK, d = i - r * o.ldK;
            kt[i] = r < nr && d < D ? src[r * D + d] : 0.f;
        }
    } else {
        for (int i = threadIdx.x; i < nr * D; i += blockDim.x) kt[i] = src[i];
    }
    __syncthreads();
}

// Sample b's folded first layer, as attention_fold_sample but with A_q's rows [H0p, ldA] (zero padding): qs = q[b],
// A = Wkk + W4·diag(q), c = Wq·q + bias. Every thread calls it; it ends with a barrier.
__device__ __forceinline__ void att_fold_sample(const AttLayout& o, const float* q, const float* folded, const float* bias, int b, float* A, float* c, float* qs) {
    int D = o.D, H = o.H[0];
    const float* Wkk = folded;
    const float* W4 = folded + (long long)H * D;
    const float* Wq = folded + 2LL * H * D;
    for (int d = threadIdx.x; d < D; d += blockDim.x) qs[d] = q[(long long)b * D + d];
    __syncthreads();
    for (int i = threadIdx.x; i < o.H0p * o.ldA; i += blockDim.x) {
        int h = i / o.ldA, d = i - h * o.ldA;
        A[i] = h < H && d < D ? Wkk[h * D + d] + W4[h * D + d] * qs[d] : 0.f;
    }
    for (int h = threadIdx.x; h < H; h += blockDim.x) {
        float s = bias[h];
        for (int d = 0; d < D; d++) s += Wq[(long long)h * D + d] * qs[d];
        c[h] = s;
    }
    __syncthreads();
}

// p rounded up to 32 bytes (wmma's pointer alignment).
__device__ __forceinline__ float* att_align(float* p) {
    return reinterpret_cast<float*>((reinterpret_cast<unsigned long long>(p) + 31) & ~31ULL);
}

// Training forward, pass `pass` (see the top of the file). partial: [gridDim.x, 2·H_pass + 1] doubles (Σ(z − K),
// Σ(z − K)², valid rows; K = running mean of layer pass) for pass < L; scores [B, T] for pass == L.
// tf32 != 0 runs the folded first layer on tensor cores (see att_tile_forward). Dynamic shared memory (bytes):
// 8·(2·Hmax + 2) + 4·(packedLen + savedLen + H0 + D + 2·ATT_ROWS·ΣH + H0p·ldA + ATT_ROWS·ldK
// + (tf32 ? ATT_ROWS·H0p + 24 : 0)) (the 24: three 32-byte alignments).
extern "C" __global__ void attention_train_forward(const float* q, const float* keys, const int* lengths, const float* folded, const float* packed, int packedLen, const int* dims, int L, int act, float eps, int tf32, const float* saved, int pass, double* partial, float* scores, int B, int T, int D) {
    AttLayout o;
    att_layout(dims, L, D, tf32, o);
    int H0 = o.H[0];
    DYN_SHARED(double, acc);
    float* P = reinterpret_cast<float*>(acc + 2 * o.Hmax + 2);
    float* S = P + packedLen;
    float* c = S + o.savedLen;
    float* qs = c + H0;
    float* Z = qs + D;
    float* Y = Z + ATT_ROWS * o.sumH;
    float* A = att_align(Y + ATT_ROWS * o.sumH);
    float* kt = att_align(A + o.H0p * o.ldA);
    float* Zt = att_align(kt + ATT_ROWS * o.ldK);
    bool stats = pass < L;
    int Hp = stats ? o.H[pass] : 0;
    int width = 2 * Hp + 1;
    for (int i = threadIdx.x; i < width; i += blockDim.x) acc[i] = 0.0;
    att_load_params(packed, packedLen, saved, o.savedLen, P, S);
    const float* K = stats ? P + o.pb[pass] + 2 * Hp : nullptr;
    const float* wout = P + o.pout;
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        att_fold_sample(o, q, folded, P, b, A, c, qs);  // P starts with layer 0's bias
        int len = lengths[b];
        for (int t0 = 0; t0 < len; t0 += ATT_ROWS) {
            int nr = min(ATT_ROWS, len - t0);
            att_load_keys(o, keys, b, T, t0, nr, kt);
            att_tile_forward(o, act, eps, nr, stats ? pass : L - 1, !stats, kt, A, c, P, S, Z, Y, Zt);
            if (stats) {
                // one thread per unit, rows in order: a fixed summation order
                const float* z = Z + o.zo[pass];
                for (int h = threadIdx.x; h < Hp; h += blockDim.x) {
                    double s1 = acc[h], s2 = acc[Hp + h];
                    for (int r = 0; r < nr; r++) {
                        double u = (double)z[r * Hp + h] - K[h];
                        s1 += u;
                        s2 += u * u;
                    }
                    acc[h] = s1;
                    acc[Hp + h] = s2;
                }
                if (threadIdx.x == 0) acc[2 * Hp] += nr;
            } else {
                int Hl = o.H[L - 1];
                const float* y = Y + o.zo[L - 1];
                for (int r = threadIdx.x; r < nr; r += blockDim.x) {
                    float s = wout[Hl];
                    for (int h = 0; h < Hl; h++) s += wout[h] * y[r * Hl + h];
                    scores[(long long)b * T + t0 + r] = s;
                }
            }
            __syncthreads();
        }
        if (!stats)
            for (int t = len + threadIdx.x; t < T; t += blockDim.x) scores[(long long)b * T + t] = 0.f;
    }
    __syncthreads();
    if (stats)
        for (int i = threadIdx.x; i < width; i += blockDim.x) partial[(long long)blockIdx.x * width + i] = acc[i];
}

// Layer statistics from the reduced sums [2C + 1] of a stats pass: saved = {mean, biased variance, rows}; the
// running statistics move towards them by `momentum` (skipped without valid rows, as dice_stats_final_forward).
// shift [C] is the K the pass subtracted (the running mean before this update, from the packed copy).
extern "C" __global__ void attention_train_stats_forward(const double* sums, const float* shift, int C, float* saved, float* runningMean, float* runningVar, float momentum) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
        double n = sums[2 * C];
        float mean = 0.f, var = 0.f;
        if (n > 0) {
            double m1 = sums[c] / n;
            mean = (float)(shift[c] + m1);
            var = (float)fmax(0.0, sums[C + c] / n - m1 * m1);
        }
        saved[c] = mean;
        saved[C + c] = var;
        if (c == 0) saved[2 * C] = (float)n;
        if (runningMean != nullptr && n > 0) {
            runningMean[c] = (1.f - momentum) * runningMean[c] + momentum * mean;
            runningVar[c] = (1.f - momentum) * runningVar[c] + momentum * var;
        }
    }
}

// dz of layer l at one element from its z, activation y and upstream da (Dice: through the batch statistics, with
// the reduced sums DS of the layer). Also returns the element's slope-gradient term in *dAlpha.
__device__ __forceinline__ float att_act_backward(const AttLayout& o, int act, int l, int h, float z, float y, float da, const float* P, const float* S, const double* DS, float eps, float* dAlpha) {
    int H = o.H[l];
    float a = P[o.pb[l] + H + h];
    switch (act) {
        case ACT_DICE: {
            const float* s = S + o.so[l];
            float mu = s[h], inv = rsqrtf(s[H + h] + eps), cnt = s[2 * H];
            float xh = (z - mu) * inv;
            float p = sigmoid_f(xh);
            float g = da * z * (1.f - a) * p * (1.f - p);
            *dAlpha = da * z * (1.f - p);
            if (DS == nullptr) return g;  // stats pass: the caller wants g itself
            float gm = (float)(DS[o.dso[l] + h] / cnt), gxm = (float)(DS[o.dso[l] + H + h] / cnt);
            return da * (a + (1.f - a) * p) + (g - gm - xh * gxm) * inv;
        }
        case ACT_PRELU:
            *dAlpha = z <= 0.f ? da * z : 0.f;
            return z > 0.f ? da : a * da;
        case ACT_SIGMOID:
            *dAlpha = 0.f;
            return da * y * (1.f - y);
        default:
            *dAlpha = 0.f;
            return z > 0.f ? da : 0.f;
    }
}

// Training backward, pass `pass` (see the top of the file). For pass < L: partial [gridDim.x, 2·H_j] doubles
// (Σg, Σg·x̂ of layer j = L − 1 − pass), dsums holding the reduced sums of layers above j. For pass == L: grads
// [gridDim.x, gradLen] floats (this block's slice, overwritten), dq [B, D] and dKeys [B, T, D] accumulated (+=).
// Dynamic shared memory (bytes): 8·(2·Hmax + dsumsLen) + 4·(the forward's floats + 2·ATT_ROWS·Hmax + ATT_ROWS
// + H0 + H0·D).
extern "C" __global__ void attention_train_backward(const float* q, const float* keys, const int* lengths, const float* folded, const float* packed, int packedLen, const int* dims, int L, int act, float eps, int tf32, const float* saved, const double* dsums, int pass, const float* dScores, double* partial, float* grads, float* dq, float* dKeys, int B, int T, int D) {
    AttLayout o;
    att_layout(dims, L, D, tf32, o);
    int H0 = o.H[0];
    DYN_SHARED(double, acc);
    double* DS = acc + 2 * o.Hmax;
    float* P = reinterpret_cast<float*>(DS + o.dsumsLen);
    float* S = P + packedLen;
    float* c = S + o.savedLen;
    float* qs = c + H0;
    float* Z = qs + D;
    float* Y = Z + ATT_ROWS * o.sumH;
    float* DA = Y + ATT_ROWS * o.sumH;
    float* DZ = DA + ATT_ROWS * o.Hmax;
    float* dsv = DZ + ATT_ROWS * o.Hmax;
    float* Gs = dsv + ATT_ROWS;
    float* N = Gs + H0;
    float* A = att_align(N + H0 * D);
    float* kt = att_align(A + o.H0p * o.ldA);
    float* Zt = att_align(kt + ATT_ROWS * o.ldK);
    bool stats = pass < L;
    int j = stats ? L - 1 - pass : 0;  // the layer whose sums a stats pass gathers
    int Hj = o.H[j];
    float* g = stats ? nullptr : grads + (long long)blockIdx.x * o.gradLen;
    if (stats) {
        for (int i = threadIdx.x; i < 2 * Hj; i += blockDim.x) acc[i] = 0.0;
    } else {
        for (int i = threadIdx.x; i < o.gradLen; i += blockDim.x) g[i] = 0.f;
    }
    for (int i = threadIdx.x; i < o.dsumsLen; i += blockDim.x) DS[i] = act == ACT_DICE ? dsums[i] : 0.0;
    att_load_params(packed, packedLen, saved, o.savedLen, P, S);
    const float* wout = P + o.pout;
    const float* W4 = folded + (long long)H0 * D;
    const float* Wq = folded + 2LL * H0 * D;
    int Htop = o.H[L - 1];
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        att_fold_sample(o, q, folded, P, b, A, c, qs);
        int len = lengths[b];
        if (!stats) {
            for (int i = threadIdx.x; i < H0 * D; i += blockDim.x) N[i] = 0.f;
            for (int h = threadIdx.x; h < H0; h += blockDim.x) Gs[h] = 0.f;
        }
        __syncthreads();  // the sample's closing update below reads N and Gs across threads, even without rows
        for (int t0 = 0; t0 < len; t0 += ATT_ROWS) {
            int nr = min(ATT_ROWS, len - t0);
            long long bt0 = (long long)b * T + t0;
            for (int r = threadIdx.x; r < nr; r += blockDim.x) dsv[r] = dScores[bt0 + r];
            att_load_keys(o, keys, b, T, t0, nr, kt);
            att_tile_forward(o, act, eps, nr, L - 1, true, kt, A, c, P, S, Z, Y, Zt);
            // output layer: da_top = ds·w_out; dw_out += Σ ds·a_top, db_out += Σ ds
            for (int i = threadIdx.x; i < nr * Htop; i += blockDim.x) {
                int r = i / Htop, h = i - r * Htop;
                DA[i] = dsv[r] * wout[h];
            }
            if (!stats) {
                const float* y = Y + o.zo[L - 1];
                for (int h = threadIdx.x; h <= Htop; h += blockDim.x) {
                    float s = 0.f;
                    for (int r = 0; r < nr; r++) s += dsv[r] * (h < Htop ? y[r * Htop + h] : 1.f);
                    g[o.gout + h] += s;
                }
            }
            __syncthreads();
            for (int l = L - 1; l >= j; l--) {
                int H = o.H[l];
                const float* z = Z + o.zo[l];
                const float* y = Y + o.zo[l];
                if (stats && l == j) {
                    for (int h = threadIdx.x; h < H; h += blockDim.x) {
                        const float* s = S + o.so[l];
                        float mu = s[h], inv = rsqrtf(s[H + h] + eps);
                        double s1 = acc[h], s2 = acc[H + h];
                        for (int r = 0; r < nr; r++) {
                            float da;
                            float gg = att_act_backward(o, act, l, h, z[r * H + h], y[r * H + h], DA[r * H + h], P, S, nullptr, eps, &da);
                            s1 += gg;
                            s2 += (double)gg * ((z[r * H + h] - mu) * inv);
                        }
                        acc[h] = s1;
                        acc[H + h] = s2;
                    }
                    break;  // uniform over the block: l and j are
                }
                for (int i = threadIdx.x; i < nr * H; i += blockDim.x) {
                    int h = i % H;
                    float unused;
                    DZ[i] = att_act_backward(o, act, l, h, z[i], y[i], DA[i], P, S, DS, eps, &unused);
                }
                __syncthreads();
                if (!stats) {
                    // bias and slope gradients: one thread per unit, rows in order
                    for (int h = threadIdx.x; h < H; h += blockDim.x) {
                        float sb = 0.f, sa = 0.f;
                        for (int r = 0; r < nr; r++) {
                            float da;
                            att_act_backward(o, act, l, h, z[r * H + h], y[r * H + h], DA[r * H + h], P, S, nullptr, eps, &da);
                            sb += DZ[r * H + h];
                            sa += da;
                        }
                        g[o.gb[l] + h] += sb;
                        g[o.gb[l] + H + h] += sa;
                        if (l == 0) Gs[h] += sb;
                    }
                    if (l > 0) {
                        int Hin = o.H[l - 1];
                        const float* x = Y + o.zo[l - 1];
                        for (int e = threadIdx.x; e < H * Hin; e += blockDim.x) {
                            int h = e / Hin, jj = e - h * Hin;
                            float s = 0.f;
                            for (int r = 0; r < nr; r++) s += DZ[r * H + h] * x[r * Hin + jj];
                            g[o.gw[l] + e] += s;
                        }
                    } else {
                        // N_b += dz_0ᵀk over the tile; dKeys = dz_0·A_q (A_q = Wkk + W4·diag(q))
                        for (int e = threadIdx.x; e < H0 * D; e += blockDim.x) {
                            int h = e / D, d = e - h * D;
                            float s = 0.f;
                            for (int r = 0; r < nr; r++) s += DZ[r * H0 + h] * kt[r * o.ldK + d];
                            N[e] += s;
                        }
                        for (int i = threadIdx.x; i < nr * D; i += blockDim.x) {
                            int r = i / D, d = i - r * D;
                            float s = 0.f;
                            for (int h = 0; h < H0; h++) s += DZ[r * H0 + h] * A[h * o.ldA + d];
                            dKeys[bt0 * D + i] += s;
                        }
                    }
                }
                __syncthreads();
                if (l > 0) {
                    // da_{l−1} = dz_l·W_l (DA is free again: every reader passed the barrier above)
                    int Hin = o.H[l - 1];
                    const float* W = P + o.pw[l];
                    for (int i = threadIdx.x; i < nr * Hin; i += blockDim.x) {
                        int r = i / Hin, jj = i - r * Hin;
                        float s = 0.f;
                        for (int h = 0; h < H; h++) s += DZ[r * H + h] * W[h * Hin + jj];
                        DA[i] = s;
                    }
                    __syncthreads();
                }
            }
            __syncthreads();
        }
        if (!stats) {
            // per sample: M1 += G_bᵀq_b, M2 += N_b, M4 += N_b·diag(q_b); dq += Σ_h W4 ⊙ N_b + Wqᵀ·G_b
            for (int e = threadIdx.x; e < H0 * D; e += blockDim.x) {
                int h = e / D, d = e - h * D;
                g[o.gm + e] += Gs[h] * qs[d];
                g[o.gm + H0 * D + e] += N[e];
                g[o.gm + 2 * H0 * D + e] += N[e] * qs[d];
            }
            for (int d = threadIdx.x; d < D; d += blockDim.x) {
                float s = 0.f;
                for (int h = 0; h < H0; h++) s += W4[(long long)h * D + d] * N[h * D + d] + Wq[(long long)h * D + d] * Gs[h];
                dq[(long long)b * D + d] += s;
            }
        }
        __syncthreads();
    }
    if (stats)
        for (int i = threadIdx.x; i < 2 * Hj; i += blockDim.x) partial[(long long)blockIdx.x * 2 * Hj + i] = acc[i];
}

// out[e] = Σ_k grads[k·len + e] over the blocks k < blocks in order (double accumulation): the fused backward's
// parameter gradients, bit-reproducible.
extern "C" __global__ void attention_train_grads_backward(const float* grads, int blocks, int len, float* out) {
    GRID_STRIDE(e, len) {
        double s = 0;
        for (int k = 0; k < blocks; k++) s += grads[(long long)k * len + e];
        out[e] = (float)s;
    }
}
