// TensorOps: fill, copy, add, scale, column concatenation and its backward. Element-wise kernels are
// dtype-agnostic where they only move 4-byte words.

extern "C" __global__ void fill_forward(float* t, float value, long long n) {
    GRID_STRIDE(i, n) t[i] = value;
}

extern "C" __global__ void copy_forward(const unsigned* src, unsigned* dst, long long n) {
    GRID_STRIDE(i, n) dst[i] = src[i];
}

extern "C" __global__ void add_into_forward(float* dst, const float* src, long long n) {
    GRID_STRIDE(i, n) dst[i] += src[i];
}

extern "C" __global__ void scale_forward(float* t, float s, long long n) {
    GRID_STRIDE(i, n) t[i] *= s;
}

// dst[r, offset + c] = src[r, c] for c < srcCols.
extern "C" __global__ void copy_columns_forward(const float* src, int srcCols, float* dst, int dstCols, int offset, long long rows) {
    GRID_STRIDE(i, rows * srcCols) {
        long long r = i / srcCols;
        int c = (int)(i - r * srcCols);
        dst[r * dstCols + offset + c] = src[i];
    }
}

// dPart[r, c] += dOut[r, offset + c] for c < partCols.
extern "C" __global__ void add_columns_backward(const float* dOut, int outCols, float* dPart, int partCols, int offset, long long rows) {
    GRID_STRIDE(i, rows * partCols) {
        long long r = i / partCols;
        int c = (int)(i - r * partCols);
        dPart[i] += dOut[r * outCols + offset + c];
    }
}
