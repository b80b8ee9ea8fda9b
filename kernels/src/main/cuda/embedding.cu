// Embedding lookup and its sparse gradient.
//
// The gradient (SparseGrad) holds the unique rows a batch touched in order of first appearance with their summed
// gradient rows. On the device that takes, per backward call:
//   1. sparse_insert: an open-addressing hash table (keys = row ids, vals = slot) gets every id; a new id's val
//      becomes -2 - (its first position n), by atomicMax over the positions, so the first appearance wins
//      whatever the thread order.
//   2. sparse_first: flags[n] = 1 where n is a new id's first position; an exclusive scan of the flags numbers the
//      new rows in order of first appearance; sparse_assign gives them slots count + rank.
//   3. sparse_stats: per slot the number of contributions and the largest |g| (integer atomics).
//   4. sparse_accumulate: every gradient element is converted to 64-bit fixed point with a per-slot power-of-two
//      scale chosen so that the slot's sum cannot overflow, then added with integer atomicAdd. Integer addition is
//      associative, so the result does not depend on the order the atomics land in: deterministic, without a sort.
//      The absolute error of a slot's sum is below count²·max|g|·2^-63 (≈ max|g|·2^-23 at a million
//      contributions), far inside what f32 summation in input order loses.
//   5. sparse_flush: adds the fixed-point sums into the slot's f32 gradient row and clears the accumulators.
// A non-finite gradient element turns its slot's row into NaN (the numerical-fault checks then see it).

#define SPARSE_EMPTY (-1)

__device__ __forceinline__ unsigned sparse_hash(int id) {
    unsigned h = (unsigned)id * 0x9E3779B1u;
    return h ^ (h >> 15);
}

// out[n, :] = table[ids[n], :].
extern "C" __global__ void gather_forward(const float* table, const int* ids, float* out, long long N, int D) {
    grid_stride_narrow(N * D, [&](auto i) {
        using I = decltype(i);
        I n = i / (I)D;
        int d = (int)(i - n * (I)D);
        out[i] = table[(long long)ids[n] * D + d];
    });
}

// out[b, t, :] = table[ids[b, t], :] for t < lengths[b], 0 at padding (whose ids are never read).
extern "C" __global__ void gather_sequence_forward(const float* table, const int* ids, const int* lengths, float* out, int B, int T, int D) {
    grid_stride_narrow((long long)B * T * D, [&](auto i) {
        using I = decltype(i);
        I bt = i / (I)D;
        int d = (int)(i - bt * (I)D);
        int b = (int)(bt / (I)T), t = (int)(bt - (I)b * (I)T);
        out[i] = t < lengths[b] ? table[(long long)ids[bt] * D + d] : 0.f;
    });
}

// gather_sequence_forward and sum pooling in one pass: out[b, d] = sum over t < lengths[b] of table[ids[b, t], d],
// t in order (sum_pool_forward's order), without the [B, T, D] sequence. One thread per output element; a warp
// covers consecutive d of one row, so each table row is read in coalesced pieces.
extern "C" __global__ void gather_sum_pool_forward(const float* table, const int* ids, const int* lengths, float* out, int B, int T, int D) {
    GRID_STRIDE(i, (long long)B * D) {
        int b = (int)(i / D), d = (int)(i - (long long)b * D);
        int len = lengths[b];
        const int* row = ids + (long long)b * T;
        float s = 0.f;
        for (int t = 0; t < len; t++) s += table[(long long)row[t] * D + d];
        out[i] = s;
    }
}

// Argument check on the device: status[0] = min position n whose id is outside [0, V) (or N if none);
// status[1] = min b whose length is outside [0, T] (or B). Positions at padding are not checked.
extern "C" __global__ void check_ids_forward(const int* ids, long long N, long long V, const int* lengths, int T, int* status) {
    GRID_STRIDE(n, N) {
        bool valid = lengths == nullptr || (int)(n % T) < lengths[n / T];
        int l = lengths == nullptr ? 0 : lengths[n / T];
        if (lengths != nullptr && (l < 0 || l > T)) {
            atomicMin(&status[1], (int)(n / T));
        } else if (valid && (ids[n] < 0 || (long long)ids[n] >= V)) {
            atomicMin(&status[0], (int)n);
        }
    }
}

// Empties a gradient: the hash table, the first `rows` value rows (every row a backward call since the last clear
// may have written: the host's bound, so no read-back of the count is needed), the count and the status word
// (status[2]: hash table full, status[3]: capacity exceeded; both stay set until the next clear).
extern "C" __global__ void sparse_clear_forward(int* keys, int* vals, int hashCap, float* values, int rows, int D, int* count, int* status) {
    GRID_STRIDE(i, hashCap) {
        keys[i] = SPARSE_EMPTY;
        vals[i] = INT_MIN;
    }
    GRID_STRIDE(j, (long long)rows * D) values[j] = 0.f;
    if (blockIdx.x == 0 && threadIdx.x < 4) {
        if (threadIdx.x == 0) count[0] = 0;
        status[threadIdx.x] = 0;
    }
}

// Step 1. hpos[n] = the hash slot of ids[n] (or -1 at padding). status[2] = 1 when the table is full.
extern "C" __global__ void sparse_insert_forward(const int* ids, long long N, const int* lengths, int T, int* keys, int* vals, int hashMask, int* hpos, int* status) {
    GRID_STRIDE(n, N) {
        if (!row_valid(n, lengths, T)) {
            hpos[n] = -1;
            continue;
        }
        int id = ids[n];
        unsigned h = sparse_hash(id) & (unsigned)hashMask;
        int probes = 0;
        for (;;) {
            int k = atomicCAS(&keys[h], SPARSE_EMPTY, id);
            if (k == SPARSE_EMPTY || k == id) break;
            h = (h + 1) & (unsigned)hashMask;
            if (++probes > hashMask) {
                status[2] = 1;
                h = 0xffffffffu;
                break;
            }
        }
        if (h == 0xffffffffu) {
            hpos[n] = -1;
            continue;
        }
        hpos[n] = (int)h;
        atomicMax(&vals[h], -2 - (int)n);  // existing rows hold their slot (>= 0) and keep it
    }
}

// Step 2a. flags[n] = 1 iff n is the first appearance of an id new to this gradient.
extern "C" __global__ void sparse_first_forward(const int* hpos, const int* vals, long long N, int* flags) {
    GRID_STRIDE(n, N) {
        int h = hpos[n];
        flags[n] = h >= 0 && vals[h] == -2 - (int)n ? 1 : 0;
    }
}

// Step 2b. New rows get slots count + rank in order of first appearance; status[3] = 1 on capacity overflow.
extern "C" __global__ void sparse_assign_forward(const int* ids, const int* hpos, const int* flags, const int* rank, long long N, int* vals, int* rows, const int* count, int capacity, int* status) {
    GRID_STRIDE(n, N) {
        if (!flags[n]) continue;
        int slot = count[0] + rank[n];
        if (slot >= capacity) {
            status[3] = 1;
            vals[hpos[n]] = -1;
            continue;
        }
        rows[slot] = ids[n];
        vals[hpos[n]] = slot;
    }
}

// count[0] += number of new rows (clamped to capacity); 0 once the gradient overflowed (status[2] or [3]), so
// the sparse optimizer updates, which read the count on the device, leave the table alone.
extern "C" __global__ void sparse_count_forward(int* count, const int* newRows, int capacity, const int* status) {
    if (blockIdx.x == 0 && threadIdx.x == 0) count[0] = (status[2] | status[3]) ? 0 : min(capacity, count[0] + newRows[0]);
}

// Step 3. Per-slot contribution count and max |g| (as the bit pattern of a non-negative float, which orders as
// an unsigned integer; NaN patterns sort above +inf). One warp per position: lane d reads dOut[n, d], so a warp
// reads the row's consecutive floats in one transaction (a thread per position read D floats D·4 bytes apart
// from its neighbours': uncoalesced); the warp's maximum is a shuffle tree and lane 0 does the two atomics.
extern "C" __global__ void sparse_stats_forward(const int* hpos, const int* vals, const float* dOut, long long N, int D, int* slotCount, unsigned* slotMax) {
    int lane = threadIdx.x & 31;
    WARP_STRIDE(n, N) {
        int h = hpos[n];
        if (h < 0) continue;
        int slot = vals[h];
        if (slot < 0) continue;
        float m = 0.f;
        int bad = 0;
        for (int d = lane; d < D; d += 32) {
            float g = dOut[n * D + d];
            bad |= !isfinite(g);
            m = fmaxf(m, fabsf(g));
        }
        m = warp_max(m);
        bad = __any_sync(FULL_MASK, bad);
        if (lane == 0) {
            atomicAdd(&slotCount[slot], 1);
            atomicMax(&slotMax[slot], bad ? 0x7fc00000u : __float_as_uint(m));
        }
    }
}

// Power-of-two exponent S such that count · max|g| · 2^S < 2^62.
__device__ __forceinline__ int sparse_scale_exp(int count, unsigned maxBits) {
    int em;
    frexpf(__uint_as_float(maxBits), &em);  // max < 2^em (em = 0 for max = 0)
    int ec = 32 - __clz(count);             // count < 2^ec
    return 62 - em - ec;
}

// Step 4.
extern "C" __global__ void sparse_accumulate_forward(const int* hpos, const int* vals, const float* dOut, long long N, int D, const int* slotCount, const unsigned* slotMax, unsigned long long* acc) {
    grid_stride_narrow(N * D, [&](auto i) {
        using I = decltype(i);
        I n = i / (I)D;
        int d = (int)(i - n * (I)D);
        int h = hpos[n];
        if (h < 0) return;
        int slot = vals[h];
        if (slot < 0 || slotMax[slot] >= 0x7f800000u) return;
        int S = sparse_scale_exp(slotCount[slot], slotMax[slot]);
        long long q = __double2ll_rn(ldexp((double)dOut[i], S));
        atomicAdd(&acc[(long long)slot * D + d], (unsigned long long)q);
    });
}

// Step 5. values[s, :] += acc[s, :]·2^-S for the slots touched in this call (slotCount > 0; `rows` is the host's
// bound on the slot count, so the true count need not be read back); clears the accumulators. When the gradient
// overflowed (status[2] or [3]) values[0, 0] becomes NaN, so a caller that defers the overflow check to its
// finiteness check of the gradient (the trainer's one read-back per step) cannot miss it.
extern "C" __global__ void sparse_flush_forward(unsigned long long* acc, const int* slotCount, const unsigned* slotMax, float* values, int rows, int D, const int* status) {
    GRID_STRIDE(i, (long long)rows * D) {
        int slot = (int)(i / D);
        int c = slotCount[slot];
        if (c != 0) {
            unsigned m = slotMax[slot];
            if (m >= 0x7f800000u) {
                values[i] = __int_as_float(0x7fc00000);
            } else {
                values[i] += (float)ldexp((double)(long long)acc[i], -sparse_scale_exp(c, m));
            }
            acc[i] = 0ull;
        }
        if (i == 0 && (status[2] | status[3])) values[0] = __int_as_float(0x7fc00000);
    }
}

extern "C" __global__ void sparse_reset_stats_forward(int* slotCount, unsigned* slotMax, int count) {
    GRID_STRIDE(s, count) {
        slotCount[s] = 0;
        slotMax[s] = 0u;
    }
}

// status[1] = min b whose length is outside [0, T] (or unchanged when all are valid).
extern "C" __global__ void check_lengths_forward(const int* lengths, int B, int T, int* status) {
    GRID_STRIDE(b, B) {
        int l = lengths[b];
        if (l < 0 || l > T) atomicMin(&status[1], (int)b);
    }
}
