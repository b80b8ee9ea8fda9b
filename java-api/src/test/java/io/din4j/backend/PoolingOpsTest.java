package io.din4j.backend;

import static io.din4j.backend.SeqTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PoolingOpsTest extends CpuVsReference {
    /** {D, B, T}. */
    private static final int[][] CASES = {{1, 1, 1}, {3, 2, 4}, {16, 7, 9}, {17, 7, 13}, {32, 64, 20}, {64, 64, 50}, {16, 2, 500}};

    // f32 sums of ≤ T = 500 products against the reference's double: relative error ≲ T·2^-24 ≈ 3e-5 in the worst
    // case, far less on average; cancellation is covered by the absolute part relative to the largest entry.
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    @Test
    void cpuMatchesReference() {
        Random r = new Random(7);
        for (int[] c : CASES) {
            int d = c[0], b = c[1], t = c[2];
            String label = "D=" + d + " B=" + b + " T=" + t + " ";
            try (HostArena a = new HostArena()) {
                Tensor keys = uniform(a, DType.F32, r, 1, b, t, d);
                Tensor w = uniform(a, DType.F32, r, 1, b, t);
                Tensor len = lengths(a, r, b, t);
                Tensor dOut = uniform(a, DType.F32, r, 1, b, d);
                Tensor dT = uniform(a, DType.F32, r, 1, b, t);

                Tensor oRef = a.f32(b, d), oCpu = uniform(a, DType.F32, r, 5, b, d);
                ref.pooling().weightedSum(w, keys, len, oRef);
                cpu.pooling().weightedSum(w, keys, len, oCpu);
                assertClose(label + "weightedSum", oRef, oCpu, ATOL, RTOL);

                Tensor dwRef = uniform(a, DType.F32, r, 1, b, t), dwCpu = copy(a, dwRef, DType.F32);
                Tensor dkRef = uniform(a, DType.F32, r, 1, b, t, d), dkCpu = copy(a, dkRef, DType.F32);
                ref.pooling().weightedSumBackward(w, keys, len, dOut, dwRef, dkRef);
                cpu.pooling().weightedSumBackward(w, keys, len, dOut, dwCpu, dkCpu);
                assertClose(label + "weightedSum dWeights", dwRef, dwCpu, ATOL, RTOL);
                assertClose(label + "weightedSum dKeys", dkRef, dkCpu, ATOL, RTOL);

                ref.pooling().sum(keys, len, oRef);
                cpu.pooling().sum(keys, len, oCpu);
                assertClose(label + "sum", oRef, oCpu, ATOL, RTOL);
                ref.pooling().sumBackward(len, dOut, dkRef);
                cpu.pooling().sumBackward(len, dOut, dkCpu);
                assertClose(label + "sum dKeys", dkRef, dkCpu, ATOL, RTOL);

                Tensor scores = uniform(a, DType.F32, r, 4, b, t);
                Tensor pRef = a.f32(b, t), pCpu = uniform(a, DType.F32, r, 5, b, t);
                ref.pooling().maskedSoftmax(scores, len, pRef);
                cpu.pooling().maskedSoftmax(scores, len, pCpu);
                assertClose(label + "softmax", pRef, pCpu, ATOL, RTOL);
                for (int i = 0; i < b; i++) {
                    double s = 0;
                    for (int j = 0; j < t; j++) {
                        s += pCpu.getFloat((long) i * t + j);
                    }
                    assertEquals(len.getInt(i) == 0 ? 0 : 1, s, 1e-5, label + "softmax row " + i + " sums to");
                }
                Tensor dsRef = uniform(a, DType.F32, r, 1, b, t), dsCpu = copy(a, dsRef, DType.F32);
                ref.pooling().maskedSoftmaxBackward(pRef, len, dT, dsRef);
                cpu.pooling().maskedSoftmaxBackward(pRef, len, dT, dsCpu);
                assertClose(label + "softmax backward", dsRef, dsCpu, ATOL, RTOL);
            }
        }
    }

    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        Backend f64 = new ReferenceBackend(DType.F64);
        Random r = new Random(11);
        int b = 3, t = 4, d = 5;
        try (HostArena a = new HostArena()) {
            Tensor keys = uniform(a, DType.F64, r, 1, b, t, d);
            Tensor w = uniform(a, DType.F64, r, 1, b, t);
            Tensor len = a.i32(b).copyFrom(new int[] {4, 0, 2});
            Tensor lossW = uniform(a, DType.F64, r, 1, b, d);
            Tensor out = a.f64(b, d);
            java.util.function.DoubleSupplier weighted = () -> {
                f64.pooling().weightedSum(w, keys, len, out);
                return dot(out, lossW);
            };
            Tensor dw = a.f64(b, t), dk = a.f64(b, t, d);
            f64.pooling().weightedSumBackward(w, keys, len, lossW, dw, dk);
            AttentionOpsTest.check("weightedSum w", w, dw, null, weighted);
            AttentionOpsTest.check("weightedSum keys", keys, dk, null, weighted);

            java.util.function.DoubleSupplier summed = () -> {
                f64.pooling().sum(keys, len, out);
                return dot(out, lossW);
            };
            Tensor dk2 = a.f64(b, t, d);
            f64.pooling().sumBackward(len, lossW, dk2);
            AttentionOpsTest.check("sum keys", keys, dk2, null, summed);

            Tensor scores = uniform(a, DType.F64, r, 2, b, t);
            Tensor p = a.f64(b, t);
            Tensor lossP = uniform(a, DType.F64, r, 1, b, t);
            java.util.function.DoubleSupplier soft = () -> {
                f64.pooling().maskedSoftmax(scores, len, p);
                return dot(p, lossP);
            };
            soft.getAsDouble();
            Tensor ds = a.f64(b, t);
            f64.pooling().maskedSoftmaxBackward(p, len, lossP, ds);
            AttentionOpsTest.check("softmax scores", scores, ds, null, soft);
        }
    }

    private static double dot(Tensor x, Tensor y) {
        double s = 0;
        for (long i = 0; i < x.size(); i++) {
            s += x.get(i) * y.get(i);
        }
        return s;
    }

    @Test
    void badInputsAreRejectedBeforeAnythingIsWritten() {
        for (Backend be : new Backend[] {cpu, ref}) {
            Random r = new Random(3);
            try (HostArena a = new HostArena()) {
                Tensor keys = uniform(a, DType.F32, r, 1, 2, 3, 4);
                Tensor w = uniform(a, DType.F32, r, 1, 2, 3);
                Tensor out = uniform(a, DType.F32, r, 1, 2, 4);
                float[] before = out.toFloatArray();
                AttentionOpsTest.expect(be, "lengths[1] = 4", () -> be.pooling().weightedSum(w, keys,
                        a.i32(2).copyFrom(new int[] {0, 4}), out));
                AttentionOpsTest.expect(be, "lengths[0] = -2", () -> be.pooling().sum(keys,
                        a.i32(2).copyFrom(new int[] {-2, 1}), out));
                Tensor len = a.i32(2).copyFrom(new int[] {3, 1});
                AttentionOpsTest.expect(be, "weights:", () -> be.pooling().weightedSum(a.f32(2, 4), keys, len, out));
                AttentionOpsTest.expect(be, "out:", () -> be.pooling().weightedSum(w, keys, len, a.f32(2, 5)));
                AttentionOpsTest.expect(be, "lengths:", () -> be.pooling().maskedSoftmax(w, a.i32(3), a.f32(2, 3)));
                AttentionOpsTest.expect(be, "dKeys:", () -> be.pooling().weightedSumBackward(w, keys, len, out, a.f32(2, 3),
                        a.f32(2, 3, 5)));
                assertArrayEquals(before, out.toFloatArray(), be.name());
            }
        }
    }
}
