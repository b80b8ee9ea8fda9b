// Binary cross-entropy on logits, weighted mean over the batch: ℓ = max(z, 0) − z·y + log(1 + e^−|z|).

// partial[block, 0..1] = (Σ w·ℓ, Σ w) over the block's grid-stride share.
extern "C" __global__ void bce_forward(const float* logits, const float* labels, const float* weights, long long B, double* partial) {
    STATIC_SHARED(double, scratch, [33]);
    double sl = 0, sw = 0;
    GRID_STRIDE(b, B) {
        double z = logits[b], y = labels[b];
        double w = weights != nullptr ? weights[b] : 1.0;
        sl += w * (fmax(z, 0.0) - z * y + log1p(exp(-fabs(z))));
        sw += w;
    }
    sl = block_sum(sl, scratch);
    sw = block_sum(sw, scratch);
    if (threadIdx.x == 0) {
        partial[2 * blockIdx.x] = sl;
        partial[2 * blockIdx.x + 1] = sw;
    }
}

// dLogits[b] += scale·w_b·r_b / Σ w with r = σ(z_b) − y_b, taken as 0 where |r| < 2⁻⁶⁴ (LossOps.RESIDUAL_MIN: a
// row predicted to its label within that adds nothing), with sums = (Σ w·ℓ, Σ w); nothing when Σ w = 0 or dLogits
// is null. loss[0] (when not null) = the mean Σ w·ℓ / Σ w (0 when Σ w = 0), left on the device for a caller that reads
// it later together with other values (the trainer's one read-back per step).
extern "C" __global__ void bce_backward(const float* logits, const float* labels, const float* weights, long long B, float scale, const double* sums, float* dLogits, double* loss) {
    double sw = sums[1];
    if (loss != nullptr && blockIdx.x == 0 && threadIdx.x == 0) loss[0] = sw == 0.0 ? 0.0 : sums[0] / sw;
    if (sw == 0.0 || dLogits == nullptr) return;
    GRID_STRIDE(b, B) {
        float w = weights != nullptr ? weights[b] : 1.f;
        float r = sigmoid_f(logits[b]) - labels[b];
        if (fabsf(r) < 0x1p-64f) r = 0.f;
        dLogits[b] += (float)(scale * w * r / sw);
    }
}
