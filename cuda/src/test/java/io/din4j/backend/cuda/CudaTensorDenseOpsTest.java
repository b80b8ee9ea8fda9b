package io.din4j.backend.cuda;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static io.din4j.backend.cuda.Dev.down;
import static io.din4j.backend.cuda.Dev.up;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** TensorOps and DenseOps of the cuda backend against the reference, on shapes with tails. */
class CudaTensorDenseOpsTest {
    private static final Backend REF = new ReferenceBackend();

    /** f32 dot products of length K against double: error below K·2^-24·Σ|a·b|; 1e-6·(K+1) leaves a wide margin. */
    private static double atol(int k) {
        return 1e-6 * (k + 1);
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void elementwiseAndColumnsMatchTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        try (OpFixture f = new OpFixture(11); TensorArena d = c.newArena()) {
            for (int n : new int[] {1, 17, 1000, 4097}) {
                Tensor x = f.random(1, n);
                Tensor y = f.random(1, n);
                Tensor dx = up(c, d, x);
                Tensor dy = up(c, d, y);
                c.tensor().addInto(dx, dy);
                c.tensor().scale(dx, -1.5f);
                REF.tensor().addInto(x, y);
                REF.tensor().scale(x, -1.5f);
                assertClose("addInto+scale n=" + n, x, down(c, f.arena, dx), 1e-6, 1e-6);
                assertClose("sumSquares n=" + n, REF.tensor().sumSquares(x), c.tensor().sumSquares(dx), 0, 1e-6);
                Tensor z = d.f32(n);
                c.tensor().copy(dx, z);
                assertClose("copy n=" + n, x, down(c, f.arena, z), 0, 0);
                c.tensor().fill(z, 0.25f);
                REF.tensor().fill(x, 0.25f);
                assertClose("fill n=" + n, x, down(c, f.arena, z), 0, 0);
            }
            Tensor a = f.random(1, 7, 3);
            Tensor b = f.random(1, 7, 2, 5);  // read as [7·2, 5]? no: rank-3 parts are [size/d, d] = [14, 5]; use [7, 5]
            Tensor b2 = f.random(1, 7, 5);
            Tensor cc = f.random(1, 7, 1);
            Tensor outRef = f.arena.f32(7, 9);
            REF.tensor().concatColumns(List.of(a, b2, cc), outRef);
            Tensor out = d.f32(7, 9);
            c.tensor().concatColumns(List.of(up(c, d, a), up(c, d, b2), up(c, d, cc)), out);
            assertClose("concat", outRef, down(c, f.arena, out), 0, 0);
            Tensor g = f.random(1, 7, 9);
            Tensor ga = f.random(1, 7, 3);
            Tensor gc = f.random(1, 7, 1);
            Tensor dga = up(c, d, ga);
            Tensor dgc = up(c, d, gc);
            REF.tensor().splitColumnsAdd(g, java.util.Arrays.asList(ga, null, gc));
            c.tensor().splitColumnsAdd(up(c, d, g), java.util.Arrays.asList(dga, null, dgc));
            assertClose("split a", ga, down(c, f.arena, dga), 1e-7, 1e-7);
            assertClose("split c", gc, down(c, f.arena, dgc), 1e-7, 1e-7);
            assertBadArgument("widths", () -> c.tensor().splitColumnsAdd(out, java.util.Arrays.asList(dga, null, dgc), new int[] {3, 4, 1}));
            assertBadArgument("dst", () -> c.tensor().addInto(f.arena.f32(3), d.f32(3)));
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void linearMatchesTheReferenceOnTails(String name) {
        CudaBackend c = Dev.backend(name);
        int[][] shapes = {{1, 1, 1}, {7, 17, 3}, {33, 16, 15}, {4, 100, 31}, {65, 33, 64}, {3, 257, 17}};
        long seed = 100;
        for (int[] s : shapes) {
            for (boolean bias : new boolean[] {true, false}) {
                int n = s[0], in = s[1], out = s[2];
                try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                    Tensor x = f.random(1, n, in);
                    Tensor w = f.random(1, out, in);
                    Tensor b = bias ? f.random(1, out) : null;
                    Tensor yRef = f.arena.f32(n, out);
                    REF.dense().linear(x, w, b, yRef);
                    Tensor dx = up(c, d, x), dw = up(c, d, w), db = up(c, d, b);
                    Tensor y = up(c, d, f.random(5, n, out));  // garbage: forward overwrites
                    c.dense().linear(dx, dw, db, y);
                    String what = " n=" + n + " in=" + in + " out=" + out;
                    assertClose("y" + what, yRef, down(c, f.arena, y), atol(in), 1e-5);

                    Tensor dy = f.random(1, n, out);
                    Tensor gx = f.random(1, n, in), gw = f.random(1, out, in), gb = f.random(1, out);
                    Tensor dgx = up(c, d, gx), dgw = up(c, d, gw), dgb = up(c, d, gb);
                    REF.dense().linearBackward(x, w, dy, gx, gw, bias ? gb : null);
                    c.dense().linearBackward(dx, dw, up(c, d, dy), dgx, dgw, bias ? dgb : null);
                    assertClose("dx" + what, gx, down(c, f.arena, dgx), atol(out), 1e-5);
                    assertClose("dW" + what, gw, down(c, f.arena, dgw), atol(n), 1e-5);
                    assertClose("db" + what, gb, down(c, f.arena, dgb), atol(n), 1e-5);
                    assertBadArgument("y", () -> c.dense().linear(dx, dw, db, d.f32(n + 1, out)));
                    assertBadArgument("x", () -> c.dense().linear(x, dw, db, d.f32(n, out)));
                }
            }
        }
    }
}
