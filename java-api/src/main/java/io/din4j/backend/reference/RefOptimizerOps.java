package io.din4j.backend.reference;

import io.din4j.backend.OptimizerOps;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;

/** OptimizerOps of the reference backend. */
final class RefOptimizerOps implements OptimizerOps {
    private static void same(Tensor param, String name, Tensor t) {
        ValueChecks.like(name, t, "param", param, true);
    }

    @Override
    public void sgd(Tensor param, Tensor grad, float lr, float weightDecay) {
        ValueChecks.value("param", param, true);
        same(param, "grad", grad);
        for (long i = 0; i < param.size(); i++) {
            double p = param.get(i);
            param.set(i, p - (double) lr * (grad.get(i) + (double) weightDecay * p));
        }
    }

    @Override
    public void adagrad(Tensor param, Tensor grad, Tensor accum, float lr, float eps) {
        ValueChecks.value("param", param, true);
        same(param, "grad", grad);
        same(param, "accum", accum);
        for (long i = 0; i < param.size(); i++) {
            adagradAt(param, i, grad.get(i), accum, i, lr, eps);
        }
    }

    private static void adagradAt(Tensor param, long pi, double g, Tensor accum, long ai, float lr, float eps) {
        double acc = accum.get(ai) + g * g;
        accum.set(ai, acc);
        param.set(pi, param.get(pi) - lr * g / (Math.sqrt(acc) + eps));
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        ValueChecks.value("param", param, true);
        same(param, "grad", grad);
        same(param, "m", m);
        same(param, "v", v);
        ValueChecks.step(step);
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        for (long i = 0; i < param.size(); i++) {
            adamAt(param, i, grad.get(i), m, v, lr, beta1, beta2, eps, c1, c2);
        }
    }

    private static void adamAt(Tensor param, long i, double g, Tensor m, Tensor v, float lr, float beta1, float beta2,
            float eps, double c1, double c2) {
        double mi = beta1 * m.get(i) + (1 - (double) beta1) * g;
        double vi = beta2 * v.get(i) + (1 - (double) beta2) * g * g;
        m.set(i, mi);
        v.set(i, vi);
        param.set(i, param.get(i) - lr * (mi / c1) / (Math.sqrt(vi / c2) + eps));
    }

    @Override
    public void sgdSparse(Tensor table, SparseGrad grad, float lr) {
        ValueChecks.sparse("grad", grad, table, true);
        long d = table.dim(1);
        Tensor vals = grad.values();
        for (int j = 0; j < grad.count(); j++) {
            long row = grad.rows().getInt(j);
            for (long k = 0; k < d; k++) {
                table.set(row * d + k, table.get(row * d + k) - (double) lr * vals.get(j * d + k));
            }
        }
    }

    @Override
    public void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, float lr, float eps) {
        ValueChecks.sparse("grad", grad, table, true);
        same(table, "accum", accum);
        long d = table.dim(1);
        for (int j = 0; j < grad.count(); j++) {
            long row = grad.rows().getInt(j);
            for (long k = 0; k < d; k++) {
                adagradAt(table, row * d + k, grad.values().get(j * d + k), accum, row * d + k, lr, eps);
            }
        }
    }

    @Override
    public void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        ValueChecks.sparse("grad", grad, table, true);
        same(table, "m", m);
        same(table, "v", v);
        ValueChecks.step(step);
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        long d = table.dim(1);
        for (int j = 0; j < grad.count(); j++) {
            long row = grad.rows().getInt(j);
            for (long k = 0; k < d; k++) {
                adamAt(table, row * d + k, grad.values().get(j * d + k), m, v, lr, beta1, beta2, eps, c1, c2);
            }
        }
    }

    @Override
    public void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, float lambda) {
        ValueChecks.sparse("grad", grad, table, true);
        ValueChecks.value("frequency", frequency, true, table.dim(0));
        long d = table.dim(1);
        Tensor vals = grad.values();
        for (int j = 0; j < grad.count(); j++) {
            long row = grad.rows().getInt(j);
            // DIN eq. 4: the L2 penalty of a row is scaled by 1/n_j, its occurrence count, and applied only to
            // the rows present in the mini-batch.
            double n = Math.max(1, frequency.get(row));
            for (long k = 0; k < d; k++) {
                vals.set(j * d + k, vals.get(j * d + k) + lambda * table.get(row * d + k) / n);
            }
        }
    }
}
