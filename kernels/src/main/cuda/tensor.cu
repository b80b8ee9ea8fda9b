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

// The second half of a batched upload: `staging` holds, after one host-to-device copy, a table of `pieces`
// descriptors (destination address, byte offset of the piece in `staging`, byte count; 3 long longs each) and the
// pieces themselves, each at a 16-byte aligned offset with a byte count that is a multiple of 4. One block per
// piece (grid-stride over pieces) copies its 4-byte words to the destination: a batch of a dozen input tensors
// costs one copy and one launch instead of a dozen copies, each a host API call and a transfer on its own.
extern "C" __global__ void scatter_copy_forward(const unsigned char* staging, int pieces) {
    const long long* desc = reinterpret_cast<const long long*>(staging);
    for (int p = blockIdx.x; p < pieces; p += gridDim.x) {
        unsigned* dst = reinterpret_cast<unsigned*>(desc[3 * p]);
        const unsigned* src = reinterpret_cast<const unsigned*>(staging + desc[3 * p + 1]);
        long long words = desc[3 * p + 2] >> 2;
        for (long long i = threadIdx.x; i < words; i += blockDim.x) dst[i] = src[i];
    }
}
