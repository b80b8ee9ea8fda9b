package io.din4j.backend.cuda;

/** The tiled GEMM kernel ({@code gemm_forward}): the emulator's GEMM and the fallback where cuBLAS is absent. */
final class Gemms {
    private static final int TILE = 16;
    /** gridDim.y's limit; the kernel loops over column tiles beyond it (and over row tiles beyond grid x). */
    private static final int MAX_GRID_Y = 65535;

    private Gemms() {
    }

    static void tiled(Device d, boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                      long b, int ldb, float beta, long c, int ldc) {
        // Row tiles on grid x (up to 2^31 - 1): M is B·T, millions of rows for attention layers, far above the 65535
        // that grid y allows.
        int rowTiles = (int) Math.max(1, ((long) m + TILE - 1) / TILE);
        int colTiles = Math.max(1, Math.min(MAX_GRID_Y, (n + TILE - 1) / TILE));
        d.launch("gemm_forward", Dim3.of(rowTiles, colTiles), Dim3.of(TILE, TILE), 0,
                KernelArgs.of().i32(transA ? 1 : 0).i32(transB ? 1 : 0).i32(m).i32(n).i32(k).f32(alpha)
                        .ptr(a).i32(lda).ptr(b).i32(ldb).f32(beta).ptr(c).i32(ldc));
    }
}
