package io.din4j.backend.cuda;

import io.din4j.backend.EmbeddingOps;
import io.din4j.backend.SparseGrad;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * Embedding lookups and their sparse gradients on the device. The gradient is deterministic without sorting:
 * slots are numbered in order of first appearance (an atomicMax race on positions that the first position always
 * wins), and values are summed in 64-bit fixed point with integer atomics, whose result does not depend on
 * their order (kernels/src/main/cuda/embedding.cu).
 */
final class CudaEmbeddingOps implements EmbeddingOps {
    private static final int SCAN_ITEMS = 4;

    private final Kernels k;

    CudaEmbeddingOps(Kernels k) {
        this.k = k;
    }

    @Override
    public SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        return new CudaSparseGrad(k, arena, tableRows, width, capacity);
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        Kernels.f32("table", table).requireRank("table", table.dtype(), 2);
        Kernels.i32("ids", ids).requireRank("ids", ids.dtype(), 1);
        long n = ids.dim(0);
        int d = table.dimInt(1);
        Kernels.f32("out", out);
        Kernels.shape("out", out, n, d);
        k.checkIds("ids", ids, n, table.dim(0), null, 1);
        k.elementwise("gather_forward", n * d, KernelArgs.of().ptr(table).ptr(ids).ptr(out).i64(n).i32(d));
    }

    @Override
    public void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        int[] btd = sequenceForward(table, ids, lengths, out, false);
        int b = btd[0];
        int t = btd[1];
        int d = btd[2];
        k.elementwise("gather_sequence_forward", (long) b * t * d,
                KernelArgs.of().ptr(table).ptr(ids).ptr(lengths).ptr(out).i32(b).i32(t).i32(d));
    }

    @Override
    public void gatherBackward(Tensor ids, Tensor dOut, SparseGrad grad) {
        Kernels.i32("ids", ids).requireRank("ids", ids.dtype(), 1);
        CudaSparseGrad g = sparse(grad);
        Kernels.f32("dOut", dOut);
        Kernels.shape("dOut", dOut, ids.dim(0), g.width());
        k.checkIds("ids", ids, ids.dim(0), g.tableRows(), null, 1);
        accumulate(ids, ids.dim(0), null, 1, dOut, g);
    }

    @Override
    public void gatherSequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        CudaSparseGrad g = sparse(grad);
        int[] bt = sequenceBackward(ids, lengths, dOut, g, false);
        int b = bt[0];
        int t = bt[1];
        accumulate(ids, (long) b * t, lengths, t, dOut, g);
    }

    @Override
    public boolean fusesGatherSumPool() {
        return true;
    }

    @Override
    public void gatherSumPool(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        int[] btd = sequenceForward(table, ids, lengths, out, true);
        int b = btd[0];
        int t = btd[1];
        int d = btd[2];
        k.elementwise("gather_sum_pool_forward", (long) b * d,
                KernelArgs.of().ptr(table).ptr(ids).ptr(lengths).ptr(out).i32(b).i32(t).i32(d));
    }

    /**
     * The pooled gradient spread over the valid positions ({@code sum_pool_backward} into a zeroed scratch
     * {@code [B, T, D]}), then the sequence gather's sparse accumulation: the forward is where the fusion saves the
     * sequence; the accumulation reads one gradient row per position.
     */
    @Override
    public void gatherSumPoolBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        CudaSparseGrad g = sparse(grad);
        int[] bt = sequenceBackward(ids, lengths, dOut, g, true);
        int b = bt[0];
        int t = bt[1];
        long n = (long) b * t * g.width();
        if (n == 0) {
            return;
        }
        long spread = k.scratch("pool.spread", 4 * n);
        k.fill(spread, n, 0f);
        k.elementwise("sum_pool_backward", n, KernelArgs.of().ptr(lengths).ptr(dOut).ptr(spread).i32(b).i32(t).i32(g.width()));
        accumulate(ids, (long) b * t, lengths, t, spread, g);
    }

    /**
     * Checks a sequence gather's f32 {@code [rows, D]} table, ids, lengths (ids in range at the valid positions) and
     * its output: {@code [B, D]} when {@code pooled} (the fused gather and sum pooling), else {@code [B, T, D]}.
     * Returns {@code {B, T, D}}.
     */
    private int[] sequenceForward(Tensor table, Tensor ids, Tensor lengths, Tensor out, boolean pooled) {
        Kernels.f32("table", table).requireRank("table", table.dtype(), 2);
        int[] bt = sequence(ids, lengths);
        int b = bt[0];
        int t = bt[1];
        int d = table.dimInt(1);
        Kernels.f32("out", out);
        if (pooled) {
            Kernels.shape("out", out, b, d);
        } else {
            Kernels.shape("out", out, b, t, d);
        }
        k.checkIds("ids", ids, (long) b * t, table.dim(0), lengths, t);
        return new int[] {b, t, d};
    }

    /** The backward's counterpart of {@link #sequenceForward}, with {@code dOut} in place of the output; returns {@code {B, T}}. */
    private int[] sequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, CudaSparseGrad g, boolean pooled) {
        int[] bt = sequence(ids, lengths);
        int b = bt[0];
        int t = bt[1];
        Kernels.f32("dOut", dOut);
        if (pooled) {
            Kernels.shape("dOut", dOut, b, g.width());
        } else {
            Kernels.shape("dOut", dOut, b, t, g.width());
        }
        k.checkIds("ids", ids, (long) b * t, g.tableRows(), lengths, t);
        return bt;
    }

    /** Checks {@code [B, T]} i32 ids and {@code [B]} i32 lengths; returns {@code {B, T}}. */
    private static int[] sequence(Tensor ids, Tensor lengths) {
        Kernels.i32("ids", ids).requireRank("ids", ids.dtype(), 2);
        int b = ids.dimInt(0);
        Kernels.i32("lengths", lengths);
        Kernels.shape("lengths", lengths, b);
        return new int[] {b, ids.dimInt(1)};
    }

    private static CudaSparseGrad sparse(SparseGrad grad) {
        if (!(grad instanceof CudaSparseGrad g)) {
            throw new IllegalArgumentException("grad: expected a sparse gradient made by the cuda backend, got " + grad);
        }
        return g;
    }

    private void accumulate(Tensor ids, long n, Tensor lengths, int t, Tensor dOut, CudaSparseGrad g) {
        accumulate(ids, n, lengths, t, n == 0 ? 0 : dOut.deviceAddress(), g);
    }

    /** {@link #accumulate(Tensor, long, Tensor, int, Tensor, CudaSparseGrad)} with {@code dOut} at a device address. */
    private void accumulate(Tensor ids, long n, Tensor lengths, int t, long dOut, CudaSparseGrad g) {
        if (n == 0) {
            return;
        }
        if (n > Integer.MAX_VALUE - 2) {
            throw new IllegalArgumentException("embedding backward over " + n + " positions exceeds 2^31 - 2");
        }
        int d = g.width();
        long hpos = k.scratch("sparse.hpos", 4 * n);
        long flags = k.scratch("sparse.flags", 4 * n);
        long rank = k.scratch("sparse.rank", 4 * n);
        int tile = Kernels.THREADS * SCAN_ITEMS;
        int tiles = (int) ((n + tile - 1) / tile);
        long tileSums = k.scratch("sparse.tiles", 4L * (tiles + 1));
        long status = g.statusDev.deviceAddress();
        g.accumulating(n);
        int rows = g.bound;
        k.elementwise("sparse_insert_forward", n, KernelArgs.of().ptr(ids).i64(n).ptr(lengths).i32(t).ptr(g.keys)
                .ptr(g.vals).i32(g.hashMask()).ptr(hpos).ptr(status));
        k.elementwise("sparse_first_forward", n, KernelArgs.of().ptr(hpos).ptr(g.vals).i64(n).ptr(flags));
        // exclusive scan of the first-appearance flags: the rank of each new row
        k.device.launch("scan_tiles_forward", Dim3.of(tiles), Dim3.of(Kernels.THREADS), 0,
                KernelArgs.of().ptr(flags).ptr(rank).i64(n).ptr(tileSums));
        k.device.launch("scan_sums_forward", Dim3.of(1), Dim3.of(Math.min(1024, (tiles + 31) / 32 * 32)), 0, KernelArgs.of().ptr(tileSums).i32(tiles));
        k.elementwise("scan_tiles_add_forward", n, KernelArgs.of().ptr(rank).i64(n).ptr(tileSums).i32(tile));
        k.elementwise("sparse_assign_forward", n, KernelArgs.of().ptr(ids).ptr(hpos).ptr(flags).ptr(rank).i64(n)
                .ptr(g.vals).ptr(g.rows).ptr(g.countDev).i32(g.capacity()).ptr(status));
        k.device.launch("sparse_count_forward", Dim3.of(1), Dim3.of(32), 0,
                KernelArgs.of().ptr(g.countDev).ptr(tileSums + 4L * tiles).i32(g.capacity()).ptr(status));
        if (!k.hostValidated()) {
            g.readCount();  // the SPI's synchronous contract: overflow throws here, before any value row changes
        }
        // One warp per position (coalesced rows): 32 threads per position.
        k.elementwise("sparse_stats_forward", 32 * n, KernelArgs.of().ptr(hpos).ptr(g.vals).ptr(dOut).i64(n).i32(d)
                .ptr(g.slotCount).ptr(g.slotMax));
        k.elementwise("sparse_accumulate_forward", n * d, KernelArgs.of().ptr(hpos).ptr(g.vals).ptr(dOut).i64(n)
                .i32(d).ptr(g.slotCount).ptr(g.slotMax).ptr(g.acc));
        // Over the bound, not the count (which only the device knows now): slots past the count have no
        // contributions and are skipped.
        k.elementwise("sparse_flush_forward", (long) rows * d, KernelArgs.of().ptr(g.acc).ptr(g.slotCount)
                .ptr(g.slotMax).ptr(g.values).i32(rows).i32(d).ptr(status));
        k.elementwise("sparse_reset_stats_forward", rows, KernelArgs.of().ptr(g.slotCount).ptr(g.slotMax).i32(rows));
    }
}
