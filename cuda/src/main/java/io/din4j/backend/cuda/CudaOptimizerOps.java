package io.din4j.backend.cuda;

import io.din4j.backend.OptimizerOps;
import io.din4j.backend.SparseGrad;
import io.din4j.tensor.Tensor;

/**
 * Dense and sparse parameter updates on the device. Sparse updates size their grids by the gradient's host bound
 * and read the true row count on the device, so they never wait for it.
 */
final class CudaOptimizerOps implements OptimizerOps {
    private final Kernels k;

    CudaOptimizerOps(Kernels k) {
        this.k = k;
    }

    private static void like(String what, Tensor t, Tensor param) {
        Kernels.f32(what, t);
        Kernels.sameSize("param/" + what, param, t);
    }

    @Override
    public void sgd(Tensor param, Tensor grad, float lr, float weightDecay) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        k.elementwise("sgd_update", param.size(), KernelArgs.of().ptr(param).ptr(grad).i64(param.size()).f32(lr).f32(weightDecay));
    }

    @Override
    public void adagrad(Tensor param, Tensor grad, Tensor accum, float lr, float eps) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        like("accum", accum, param);
        k.elementwise("adagrad_update", param.size(),
                KernelArgs.of().ptr(param).ptr(grad).ptr(accum).i64(param.size()).f32(lr).f32(eps));
    }

    private static float[] biasCorrections(float beta1, float beta2, long step) {
        return io.din4j.backend.StepReplay.adamBiasCorrections(beta1, beta2, step);
    }

    /** A device scalars tensor (f32) holding at least {@code n} values. */
    private static Tensor scalars(Tensor s, int n) {
        Kernels.f32("scalars", s);
        if (s.size() < n) {
            throw new IllegalArgumentException("scalars: expected at least " + n + " values, got " + s);
        }
        return s;
    }

    // ---- the same updates with their per-step scalars read on the device (StepReplay; see optimizer.cu) ----

    void sgd(Tensor param, Tensor grad, Tensor hyper, float weightDecay) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        scalars(hyper, 1);
        k.elementwise("sgd_update_dev", param.size(), KernelArgs.of().ptr(param).ptr(grad).i64(param.size()).ptr(hyper)
                .f32(weightDecay));
    }

    void adagrad(Tensor param, Tensor grad, Tensor accum, Tensor hyper, float eps) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        like("accum", accum, param);
        scalars(hyper, 1);
        k.elementwise("adagrad_update_dev", param.size(),
                KernelArgs.of().ptr(param).ptr(grad).ptr(accum).i64(param.size()).ptr(hyper).f32(eps));
    }

    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor hyper, float beta1, float beta2, float eps) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        like("m", m, param);
        like("v", v, param);
        scalars(hyper, 3);
        k.elementwise("adam_update_dev", param.size(), KernelArgs.of().ptr(param).ptr(grad).ptr(m).ptr(v)
                .i64(param.size()).ptr(hyper).f32(beta1).f32(beta2).f32(eps));
    }

    void sgdSparse(Tensor table, SparseGrad grad, Tensor hyper) {
        CudaSparseGrad g = sparse(table, grad);
        scalars(hyper, 1);
        k.elementwise("sgd_sparse_update_dev", (long) g.bound * g.width(),
                KernelArgs.of().ptr(table).ptr(g.rows).ptr(g.values).ptr(g.countDev).i32(g.bound).i32(g.width()).ptr(hyper));
    }

    void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, Tensor hyper, float eps) {
        CudaSparseGrad g = sparse(table, grad);
        like("accum", accum, table);
        scalars(hyper, 1);
        k.elementwise("adagrad_sparse_update_dev", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(accum).ptr(g.countDev).i32(g.bound).i32(g.width()).ptr(hyper).f32(eps));
    }

    void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, Tensor hyper, float beta1, float beta2, float eps) {
        CudaSparseGrad g = sparse(table, grad);
        like("m", m, table);
        like("v", v, table);
        scalars(hyper, 3);
        k.elementwise("adam_sparse_update_dev", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(m).ptr(v).ptr(g.countDev).i32(g.bound).i32(g.width()).ptr(hyper).f32(beta1)
                .f32(beta2).f32(eps));
    }

    void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, Tensor hyper) {
        CudaSparseGrad g = sparse(table, grad);
        Kernels.shape("frequency", Kernels.f32("frequency", frequency), table.dim(0));
        scalars(hyper, 1);
        k.elementwise("mba_regularize_update_dev", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(frequency).ptr(g.countDev).i32(g.bound).i32(g.width()).ptr(hyper));
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        Kernels.f32("param", param);
        like("grad", grad, param);
        like("m", m, param);
        like("v", v, param);
        float[] bc = biasCorrections(beta1, beta2, step);
        k.elementwise("adam_update", param.size(), KernelArgs.of().ptr(param).ptr(grad).ptr(m).ptr(v).i64(param.size())
                .f32(lr).f32(beta1).f32(beta2).f32(eps).f32(bc[0]).f32(bc[1]));
    }

    private static CudaSparseGrad sparse(Tensor table, SparseGrad grad) {
        Kernels.f32("table", table).requireRank("table", table.dtype(), 2);
        if (!(grad instanceof CudaSparseGrad g)) {
            throw new IllegalArgumentException("grad: expected a sparse gradient made by the cuda backend, got " + grad);
        }
        if (table.dim(0) != g.tableRows() || table.dim(1) != g.width()) {
            throw new IllegalArgumentException("grad: belongs to a [" + g.tableRows() + ", " + g.width()
                    + "] table, not " + table);
        }
        return g;
    }

    @Override
    public void sgdSparse(Tensor table, SparseGrad grad, float lr) {
        CudaSparseGrad g = sparse(table, grad);
        k.elementwise("sgd_sparse_update", (long) g.bound * g.width(),
                KernelArgs.of().ptr(table).ptr(g.rows).ptr(g.values).ptr(g.countDev).i32(g.bound).i32(g.width()).f32(lr));
    }

    @Override
    public void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, float lr, float eps) {
        CudaSparseGrad g = sparse(table, grad);
        like("accum", accum, table);
        k.elementwise("adagrad_sparse_update", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(accum).ptr(g.countDev).i32(g.bound).i32(g.width()).f32(lr).f32(eps));
    }

    @Override
    public void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        CudaSparseGrad g = sparse(table, grad);
        like("m", m, table);
        like("v", v, table);
        float[] bc = biasCorrections(beta1, beta2, step);
        k.elementwise("adam_sparse_update", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(m).ptr(v).ptr(g.countDev).i32(g.bound).i32(g.width()).f32(lr).f32(beta1).f32(beta2).f32(eps)
                .f32(bc[0]).f32(bc[1]));
    }

    @Override
    public void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, float lambda) {
        CudaSparseGrad g = sparse(table, grad);
        Kernels.shape("frequency", Kernels.f32("frequency", frequency), table.dim(0));
        k.elementwise("mba_regularize_update", (long) g.bound * g.width(), KernelArgs.of().ptr(table).ptr(g.rows)
                .ptr(g.values).ptr(frequency).ptr(g.countDev).i32(g.bound).i32(g.width()).f32(lambda));
    }
}
