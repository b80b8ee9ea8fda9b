// MMoE/PLE gates: softmax over a gate's E experts fused with the mix out[b] = Σ_e p[b, e]·experts[b, sel[e]].
// One block per sample; E is small (a handful of experts), so every thread recomputes the softmax statistics.

// Softmax probability of logit lg (row max m, Σ exp = z), 0 below 2⁻⁶⁴ (GateOps.PROBABILITY_MIN).
__device__ __forceinline__ float gate_probability(float lg, float m, float z) {
    float p = expf(lg - m) / z;
    return p < 0x1p-64f ? 0.f : p;
}

extern "C" __global__ void gate_mix_forward(const float* logits, const float* experts, const int* selected, float* probs, float* out, int B, int E, int Etot, int H) {
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        const float* lg = logits + (long long)b * E;
        float m = -INFINITY;
        for (int e = 0; e < E; e++) m = fmaxf(m, lg[e]);
        float z = 0.f;
        for (int e = 0; e < E; e++) z += expf(lg[e] - m);
        for (int e = threadIdx.x; e < E; e += blockDim.x) probs[(long long)b * E + e] = gate_probability(lg[e], m, z);
        for (int h = threadIdx.x; h < H; h += blockDim.x) {
            float s = 0.f;
            for (int e = 0; e < E; e++) s += gate_probability(lg[e], m, z) * experts[((long long)b * Etot + selected[e]) * H + h];
            out[(long long)b * H + h] = s;
        }
    }
}

// dExperts[b, sel[e], :] += p_e·dOut[b]; dLogits[b, e] += p_e·(g_e − Σ_j p_j g_j) with g_e = dOut[b]·experts[b, sel[e]].
// Dynamic shared memory: (E + 33) floats.
extern "C" __global__ void gate_mix_backward(const float* probs, const float* experts, const int* selected, const float* dOut, float* dLogits, float* dExperts, int B, int E, int Etot, int H) {
    DYN_SHARED(float, sm);
    float* g = sm;
    float* scratch = g + E;
    for (int b = blockIdx.x; b < B; b += gridDim.x) {
        const float* p = probs + (long long)b * E;
        const float* dy = dOut + (long long)b * H;
        for (int e = 0; e < E; e++) {
            const float* x = experts + ((long long)b * Etot + selected[e]) * H;
            float s = 0.f;
            for (int h = threadIdx.x; h < H; h += blockDim.x) s += dy[h] * x[h];
            s = block_sum(s, scratch);
            if (threadIdx.x == 0) g[e] = s;
        }
        __syncthreads();
        float dot = 0.f;
        for (int e = 0; e < E; e++) dot += p[e] * g[e];
        for (int e = threadIdx.x; e < E; e += blockDim.x) dLogits[(long long)b * E + e] += p[e] * (g[e] - dot);
        // Sequential over e, so duplicate entries of `selected` add both contributions without a race.
        for (int h = threadIdx.x; h < H; h += blockDim.x)
            for (int e = 0; e < E; e++) dExperts[((long long)b * Etot + selected[e]) * H + h] += p[e] * dy[h];
        __syncthreads();
    }
}
