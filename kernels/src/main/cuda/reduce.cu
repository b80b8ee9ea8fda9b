// Deterministic reductions: every kernel writes one partial per block (in double), and a single-block kernel
// sums the partials in index order. No floating-point atomics anywhere, so results are bit-reproducible.

// partial[blockIdx.x] = Σ t[i]² over the block's grid-stride share.
extern "C" __global__ void sum_squares_forward(const float* t, long long n, double* partial) {
    STATIC_SHARED(double, scratch, [33]);
    double s = 0;
    GRID_STRIDE(i, n) {
        double v = t[i];
        s += v * v;
    }
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// out[c] = Σ_k partial[k·width + c] for k < chunks: one block per column, each thread summing a fixed stride of
// chunks, then block_sum's fixed tree — a fixed order, so deterministic, and parallel over the chunks.
extern "C" __global__ void reduce_partials_forward(const double* partial, int chunks, int width, double* out) {
    STATIC_SHARED(double, scratch, [33]);
    for (int c = blockIdx.x; c < width; c += gridDim.x) {
        double s = 0;
        for (int k = threadIdx.x; k < chunks; k += blockDim.x) s += partial[(long long)k * width + c];
        s = block_sum(s, scratch);
        if (threadIdx.x == 0) out[c] = s;
    }
}

// Column sums of x [N, C] over valid rows, as partials [chunks, C]: chunk k covers rows
// [k·rowsPerChunk, (k+1)·rowsPerChunk). Threads span columns, so a warp reads one row's consecutive floats.
extern "C" __global__ void column_sum_forward(const float* x, long long N, int C, const int* lengths, int T, long long rowsPerChunk, double* partial) {
    long long r0 = (long long)blockIdx.x * rowsPerChunk;
    long long r1 = min(N, r0 + rowsPerChunk);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        double s = 0;
        for (long long r = r0; r < r1; r++)
            if (row_valid(r, lengths, T)) s += x[r * C + c];
        partial[(long long)blockIdx.x * C + c] = s;
    }
}

// out[c] += scale · sum[c], converting the double sums to f32 at the very end.
extern "C" __global__ void add_scaled_sums_forward(const double* sum, int width, float scale, float* out) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < width; c += blockDim.x * gridDim.x)
        out[c] += (float)(scale * sum[c]);
}

// Exclusive scan of one int per thread over the block (blockDim.x a multiple of 32, at most 1024); every thread
// gets its exclusive prefix and the block total. warpTotals holds 33 ints. Starts and ends with a barrier-safe state.
__device__ __forceinline__ int block_exclusive_scan(int v, int* warpTotals, int* total) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    int incl = v;
    for (int o = 1; o < 32; o <<= 1) {
        int u = __shfl_up_sync(FULL_MASK, incl, o);
        if (lane >= o) incl += u;
    }
    if (lane == 31) warpTotals[warp] = incl;
    __syncthreads();
    if (warp == 0) {
        int t = lane < nw ? warpTotals[lane] : 0;
        int ti = t;
        for (int o = 1; o < 32; o <<= 1) {
            int u = __shfl_up_sync(FULL_MASK, ti, o);
            if (lane >= o) ti += u;
        }
        if (lane < nw) warpTotals[lane] = ti - t;
        if (lane == 31) warpTotals[32] = ti;
    }
    __syncthreads();
    int r = warpTotals[warp] + incl - v;
    *total = warpTotals[32];
    __syncthreads();
    return r;
}

// Exclusive prefix sum of flags [n] in tiles of blockDim.x·4 elements: each tile scans itself and writes its total
// to tileSums[tile]. scan_tiles_add_forward then adds the scanned tile totals.
extern "C" __global__ void scan_tiles_forward(const int* in, int* out, long long n, int* tileSums) {
    STATIC_SHARED(int, warpTotals, [33]);
    const int items = 4;
    long long base = (long long)blockIdx.x * blockDim.x * items + (long long)threadIdx.x * items;
    int v[items];
    int local = 0;
    for (int j = 0; j < items; j++) {
        v[j] = base + j < n ? in[base + j] : 0;
        local += v[j];
    }
    int total;
    int run = block_exclusive_scan(local, warpTotals, &total);
    if (threadIdx.x == 0) tileSums[blockIdx.x] = total;
    for (int j = 0; j < items; j++) {
        if (base + j < n) out[base + j] = run;
        run += v[j];
    }
}

// In-place exclusive scan of tileSums [tiles] by one block (blockDim.x a multiple of 32), blockDim.x elements per
// round with a running carry; writes the grand total to tileSums[tiles].
extern "C" __global__ void scan_sums_forward(int* tileSums, int tiles) {
    STATIC_SHARED(int, warpTotals, [33]);
    int carry = 0;
    for (int base = 0; base < tiles; base += blockDim.x) {
        int i = base + threadIdx.x;
        int v = i < tiles ? tileSums[i] : 0;
        int total;
        int ex = block_exclusive_scan(v, warpTotals, &total);
        if (i < tiles) tileSums[i] = carry + ex;
        carry += total;
    }
    if (threadIdx.x == 0) tileSums[tiles] = carry;
}

extern "C" __global__ void scan_tiles_add_forward(int* out, long long n, const int* tileSums, int tileSize) {
    GRID_STRIDE(i, n) out[i] += tileSums[i / tileSize];
}
