package io.din4j.backend.cuda;

import io.din4j.backend.ActivationOps;
import io.din4j.backend.Dice;
import io.din4j.backend.DiceState;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * Activations on the device. The row-masked forms ({@code lengths}/{@code T}) serve the attention unit, whose Dice
 * statistics cover only the valid behaviours of the batch.
 */
final class CudaActivationOps implements ActivationOps {
    private final Kernels k;

    CudaActivationOps(Kernels k) {
        this.k = k;
    }

    private static int channels(Tensor x) {
        return x.rank() == 0 ? 1 : x.dimInt(-1);
    }

    private static void same(String a, Tensor x, String b, Tensor y) {
        Kernels.f32(a, x);
        Kernels.f32(b, y);
        Kernels.sameSize(a + "/" + b, x, y);
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        same("x", x, "y", y);
        k.elementwise("relu_forward", x.size(), KernelArgs.of().ptr(x).ptr(y).i64(x.size()));
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        same("x", x, "dy", dy);
        same("x", x, "dx", dx);
        k.elementwise("relu_backward", x.size(), KernelArgs.of().ptr(x).ptr(dy).ptr(dx).i64(x.size()));
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        same("x", x, "y", y);
        k.elementwise("sigmoid_forward", x.size(), KernelArgs.of().ptr(x).ptr(y).i64(x.size()));
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        same("y", y, "dy", dy);
        same("y", y, "dx", dx);
        k.elementwise("sigmoid_backward", y.size(), KernelArgs.of().ptr(y).ptr(dy).ptr(dx).i64(y.size()));
    }

    private static void alpha(Tensor alpha, int c) {
        Kernels.shape("alpha", Kernels.f32("alpha", alpha), c);
    }

    @Override
    public void prelu(Tensor x, Tensor alpha, Tensor y) {
        same("x", x, "y", y);
        alpha(alpha, channels(x));
        k.elementwise("prelu_forward", x.size(), KernelArgs.of().ptr(x).ptr(alpha).ptr(y).i64(x.size()).i32(channels(x)));
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        same("x", x, "dy", dy);
        int c = channels(x);
        alpha(alpha, c);
        if (dx != null) {
            same("x", x, "dx", dx);
        }
        if (dAlpha != null) {
            Kernels.shape("dAlpha", Kernels.f32("dAlpha", dAlpha), c);
        }
        preluBackward(x.deviceAddress(), alpha.deviceAddress(), dy.deviceAddress(), dx == null ? 0 : dx.deviceAddress(),
                dAlpha == null ? 0 : dAlpha.deviceAddress(), x.size() / Math.max(c, 1), c);
    }

    void preluBackward(long x, long alpha, long dy, long dx, long dAlpha, long rows, int c) {
        long n = rows * c;
        if (dx != 0) {
            k.elementwise("prelu_backward", n, KernelArgs.of().ptr(x).ptr(alpha).ptr(dy).ptr(dx).i64(n).i32(c));
        }
        if (dAlpha != 0 && rows > 0) {
            long[] ch = Kernels.chunks(rows);
            long partial = k.scratch("prelu.partial", ch[1] * c * 8);
            long sums = k.scratch("prelu.sums", 8L * c);
            k.device.launch("prelu_alpha_backward", Dim3.of((int) ch[1]), Dim3.of(Kernels.columnThreads(c)), 0,
                    KernelArgs.of().ptr(x).ptr(dy).i64(rows).i32(c).i64(ch[0]).ptr(partial));
            k.reducePartials(partial, (int) ch[1], c, sums);
            k.device.launch("add_scaled_sums_forward", Dim3.of((c + 255) / 256), Dim3.of(256), 0,
                    KernelArgs.of().ptr(sums).i32(c).f32(1f).ptr(dAlpha));
        }
    }

    @Override
    public DiceState newDiceState(TensorArena arena, int channels) {
        return new CudaDiceState(k, arena, channels);
    }

    static CudaDiceState dice(DiceState s, int channels) {
        if (!(s instanceof CudaDiceState d)) {
            throw new IllegalArgumentException("state: expected a Dice state made by the cuda backend, got " + s);
        }
        if (d.channels() != channels) {
            throw new IllegalArgumentException("state: has " + d.channels() + " channels, the input has " + channels);
        }
        return d;
    }

    @Override
    public void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y) {
        same("x", x, "y", y);
        int c = channels(x);
        alpha(alpha, c);
        CudaDiceState s = dice(state, c);
        long rows = x.size() / Math.max(c, 1);
        if (training && rows < 1) {
            throw new IllegalArgumentException("x: a training-mode Dice needs at least one row, got " + x);
        }
        dice(x.deviceAddress(), alpha.deviceAddress(), s.runningMean().deviceAddress(), s.runningVar().deviceAddress(),
                s.saved.deviceAddress(), training, y.deviceAddress(), rows, c, 0L, 1);
    }

    /**
     * Dice over x [rows, C] whose training statistics cover the rows valid under lengths/T (lengths 0: all rows)
     * and are saved at {@code saved} ([2C + 1]: mean, variance, row count) for the backward pass.
     */
    void dice(long x, long alpha, long runningMean, long runningVar, long saved, boolean training, long y, long rows,
              int c, long lengths, int t) {
        long n = rows * c;
        long mean;
        long var;
        if (training) {
            long[] ch = Kernels.chunks(rows);
            long partial = k.scratch("dice.partial", ch[1] * (c + 1) * 8);
            long sums = k.scratch("dice.sums", 8L * (c + 1));
            for (int pass = 0; pass < 2; pass++) {
                int width = pass == 0 ? c + 1 : c;
                k.device.launch("dice_stats_forward", Dim3.of((int) ch[1]), Dim3.of(Kernels.columnThreads(width)), 0,
                        KernelArgs.of().ptr(x).i64(rows).i32(c).ptr(lengths).i32(t).ptr(pass == 0 ? 0L : saved)
                                .i64(ch[0]).ptr(partial));
                k.reducePartials(partial, (int) ch[1], width, sums);
                k.device.launch("dice_stats_final_forward", Dim3.of((c + 255) / 256), Dim3.of(256), 0,
                        KernelArgs.of().ptr(sums).i32(c).i32(pass).ptr(saved).ptr(runningMean).ptr(runningVar)
                                .f32((float) Dice.MOMENTUM));
            }
            mean = saved;
            var = saved + 4L * c;
        } else {
            mean = runningMean;
            var = runningVar;
        }
        k.elementwise("dice_forward", n, KernelArgs.of().ptr(x).ptr(alpha).ptr(mean).ptr(var).f32((float) Dice.EPSILON)
                .ptr(y).i64(n).i32(c));
    }

    @Override
    public void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha) {
        same("x", x, "dy", dy);
        int c = channels(x);
        alpha(alpha, c);
        if (dx != null) {
            same("x", x, "dx", dx);
        }
        if (dAlpha != null) {
            Kernels.shape("dAlpha", Kernels.f32("dAlpha", dAlpha), c);
        }
        diceBackward(x.deviceAddress(), alpha.deviceAddress(), dice(state, c).saved.deviceAddress(), dy.deviceAddress(),
                dx == null ? 0 : dx.deviceAddress(), dAlpha == null ? 0 : dAlpha.deviceAddress(), x.size() / Math.max(c, 1),
                c, 0L, 1);
    }

    void diceBackward(long x, long alpha, long saved, long dy, long dx, long dAlpha, long rows, int c, long lengths, int t) {
        if (rows == 0) {
            return;
        }
        long[] ch = Kernels.chunks(rows);
        long partial = k.scratch("dice.partial", ch[1] * c * 3 * 8);
        long sums = k.scratch("dice.bsums", 8L * c * 3);
        k.device.launch("dice_partials_backward", Dim3.of((int) ch[1]), Dim3.of(Kernels.columnThreads(c)), 0,
                KernelArgs.of().ptr(x).ptr(dy).i64(rows).i32(c).ptr(lengths).i32(t).ptr(alpha).ptr(saved)
                        .f32((float) Dice.EPSILON).i64(ch[0]).ptr(partial));
        k.reducePartials(partial, (int) ch[1], 3 * c, sums);
        if (dx != 0) {
            k.elementwise("dice_backward", rows * c, KernelArgs.of().ptr(x).ptr(dy).ptr(dx).i64(rows).i32(c)
                    .ptr(lengths).i32(t).ptr(alpha).ptr(saved).f32((float) Dice.EPSILON).ptr(sums));
        }
        if (dAlpha != 0) {
            k.device.launch("dice_alpha_backward", Dim3.of((c + 255) / 256), Dim3.of(256), 0,
                    KernelArgs.of().ptr(sums).i32(c).ptr(dAlpha));
        }
    }
}
