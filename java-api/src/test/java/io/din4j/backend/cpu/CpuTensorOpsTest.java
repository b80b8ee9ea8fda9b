package io.din4j.backend.cpu;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cpu tensor utilities against the reference, including sizes spanning several parallel blocks. */
class CpuTensorOpsTest extends CpuOpsTestBase {

    @Test
    void elementwiseMatchReference() {
        long seed = 0;
        int[] sizes = Arrays.copyOf(OpFixture.SIZES, OpFixture.SIZES.length + 1);
        sizes[sizes.length - 1] = (1 << 17) + 5; // three blocks of ElementRanges
        for (int n : sizes) {
            try (OpFixture f = new OpFixture(seed++)) {
                Tensor a = f.random(2, n);
                Tensor b = f.random(2, n);
                Tensor r = f.copy(a), c = f.copy(a);
                REF.tensor().addInto(r, b);
                cpu.tensor().addInto(c, b);
                assertClose("addInto n=" + n, r, c, 0, 0);
                REF.tensor().scale(r, -0.37f);
                cpu.tensor().scale(c, -0.37f);
                assertClose("scale n=" + n, r, c, 0, 0);
                // Σx² in f32 lanes per 64 Ki block, then in double.
                assertClose("sumSquares n=" + n, REF.tensor().sumSquares(c), cpu.tensor().sumSquares(c), 1e-9, 1e-5);
                cpu.tensor().fill(c, 1.5f);
                REF.tensor().fill(r, 1.5f);
                assertClose("fill n=" + n, r, c, 0, 0);
                cpu.tensor().fill(c, 0f);
                REF.tensor().fill(r, 0f);
                assertClose("fill 0 n=" + n, r, c, 0, 0);
                cpu.tensor().copy(b, c);
                assertClose("copy n=" + n, b, c, 0, 0);
            }
        }
    }

    @Test
    void concatAndSplitMatchReference() {
        try (OpFixture f = new OpFixture(3)) {
            for (int n : new int[] {1, 5, 70}) {
                Tensor p0 = f.random(1, n, 3);
                Tensor p1 = f.random(1, n, 2, 17);
                Tensor p2 = f.random(1, n, 16);
                List<Tensor> parts = List.of(p0, p1.reshape(n, 34), p2);
                Tensor or = f.arena.f32(n, 53), o = f.arena.f32(n, 53);
                REF.tensor().concatColumns(parts, or);
                cpu.tensor().concatColumns(parts, o);
                assertClose("concat n=" + n, or, o, 0, 0);
                Tensor dOut = f.random(1, n, 53);
                Tensor d0r = f.random(1, n, 3), d0 = f.copy(d0r);
                Tensor d2r = f.random(1, n, 16), d2 = f.copy(d2r);
                REF.tensor().splitColumnsAdd(dOut, Arrays.asList(d0r, null, d2r));
                cpu.tensor().splitColumnsAdd(dOut, Arrays.asList(d0, null, d2));
                assertClose("split 0 n=" + n, d0r, d0, 0, 0);
                assertClose("split 2 n=" + n, d2r, d2, 0, 0);
                REF.tensor().splitColumnsAdd(dOut, Arrays.asList(null, null, d2r), new int[] {3, 34, 16});
                cpu.tensor().splitColumnsAdd(dOut, Arrays.asList(null, null, d2), new int[] {3, 34, 16});
                assertClose("split widths n=" + n, d2r, d2, 0, 0);
                for (int i = 0; i < n * 16; i++) {
                    if (d2.getFloat(i) != d2r.getFloat(i)) {
                        throw new AssertionError("split");
                    }
                }
            }
        }
    }

    @Test
    void splitColumnsCopiesEachBlock() {
        // the forward split, the inverse of concat: PLE's gate logits (4 + 4 + 6, each narrower than a vector) and
        // blocks wider than one; the parts' old contents must not leak through
        int[][] layouts = {{4, 4, 6}, {3, 34, 16}, {1}, {17, 8}};
        long seed = 20;
        for (int[] widths : layouts) {
            for (int n : new int[] {0, 1, 5, 70}) {
                try (OpFixture f = new OpFixture(seed++)) {
                    int total = Arrays.stream(widths).sum();
                    Tensor x = f.random(1, n, total);
                    List<Tensor> cpuParts = new java.util.ArrayList<>(), refParts = new java.util.ArrayList<>();
                    for (int w : widths) {
                        cpuParts.add(f.random(5, n, w));
                        refParts.add(f.random(5, n, w));
                    }
                    cpu.tensor().splitColumns(x, cpuParts);
                    REF.tensor().splitColumns(x, refParts);
                    int col = 0;
                    for (int i = 0; i < widths.length; i++) {
                        for (int r = 0; r < n; r++) {
                            for (int c = 0; c < widths[i]; c++) {
                                float want = x.getFloat((long) r * total + col + c);
                                String at = "part " + i + " row " + r + " col " + c + " of " + Arrays.toString(widths);
                                assertEquals(want, cpuParts.get(i).getFloat((long) r * widths[i] + c), "cpu " + at);
                                assertEquals(want, refParts.get(i).getFloat((long) r * widths[i] + c), "reference " + at);
                            }
                        }
                        col += widths[i];
                    }
                }
            }
        }
    }

    @Test
    void badInputsNameTheArgument() {
        for (Backend b : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(4)) {
                Tensor a = f.random(1, 4, 5);
                assertBadArgument("src", () -> b.tensor().addInto(a, f.arena.f32(3)));
                assertBadArgument("dst", () -> b.tensor().copy(a, f.arena.f32(3)));
                assertBadArgument("parts", () -> b.tensor().concatColumns(List.of(a, a), f.arena.f32(4, 9)));
                assertBadArgument("parts[1]", () -> b.tensor().concatColumns(List.of(a, f.arena.f32(3, 5)), f.arena.f32(4, 10)));
                assertBadArgument("dParts", () -> b.tensor().splitColumnsAdd(f.arena.f32(4, 12), Arrays.asList(a, null, null)));
                assertBadArgument("widths", () -> b.tensor().splitColumnsAdd(f.arena.f32(4, 12), Arrays.asList(a, null), new int[] {5, 6}));
                assertBadArgument("parts", () -> b.tensor().splitColumns(f.arena.f32(4, 12), List.of(a, a)));
                assertBadArgument("parts[1]", () -> b.tensor().splitColumns(f.arena.f32(4, 12), Arrays.asList(a, null)));
            }
        }
    }
}
