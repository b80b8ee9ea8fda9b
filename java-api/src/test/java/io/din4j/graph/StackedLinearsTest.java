package io.din4j.graph;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Graph.Extent;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Graph#linears} in an inference graph (the weights stacked into one product, its columns split) against one
 * {@link Graph#linear} per weight in the same graph, and again after the weights change.
 */
class StackedLinearsTest {
    @Test
    void stackedProductEqualsTheProductsAndFollowsChangedWeights() {
        for (Backend backend : new Backend[] {new CpuBackend(2), new ReferenceBackend()}) {
            try (backend; ParamStore ps = new ParamStore(backend)) {
                Random r = new Random(9);
                int in = 37;
                // Gate-like widths: 4 + 4 + 6 = 14 outputs together, 4 or 6 alone; one without a bias.
                List<Param> ws = List.of(ps.dense("w0", 4, in), ps.dense("w1", 4, in), ps.dense("w2", 6, in));
                List<Param> bs = Arrays.asList(ps.dense("b0", 4), null, ps.dense("b2", 6));
                Graph g = new Graph(backend, ps, 50, 1, false);
                Buf x = g.buf("x", Extent.BATCH, in);
                List<Buf> stacked = g.linears("gates", List.of("g0", "g1", "g2"), x, ws, bs);
                List<Buf> apart = List.of(g.linear("a0", x, ws.get(0), bs.get(0)), g.linear("a1", x, ws.get(1), null),
                        g.linear("a2", x, ws.get(2), bs.get(2)));
                g.finish();
                for (int round = 0; round < 3; round++) {
                    // New values every round: the stacked copy must follow them (ParamStore.changed bumps versions).
                    for (Param p : ps.all()) {
                        for (long i = 0; i < p.value().size(); i++) {
                            p.value().set(i, r.nextGaussian());
                        }
                    }
                    ps.changed();
                    for (int b : new int[] {1, 7, 50}) {
                        g.bind(b, 1);
                        for (long i = 0; i < x.v().size(); i++) {
                            x.v().set(i, r.nextGaussian());
                        }
                        g.forward(false);
                        for (int k = 0; k < 3; k++) {
                            float[] want = apart.get(k).v().toFloatArray();
                            float[] got = stacked.get(k).v().toFloatArray();
                            assertEquals(want.length, got.length);
                            for (int i = 0; i < want.length; i++) {
                                // Different summation orders (a 4-output product and a 14-column one): f32 rounding.
                                assertEquals(want[i], got[i], 1e-5 * (1 + Math.abs(want[i])),
                                        backend.name() + " round " + round + " B=" + b + " product " + k + " [" + i + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void trainingGraphsKeepOneProductPerWeight() {
        try (Backend backend = new ReferenceBackend(); ParamStore ps = new ParamStore(backend)) {
            List<Param> ws = List.of(ps.dense("w0", 2, 3), ps.dense("w1", 2, 3));
            Graph g = new Graph(backend, ps, 4, 1, true);
            Buf x = g.buf("x", Extent.BATCH, 3);
            List<Buf> ys = g.linears("gates", List.of("gate.a", "gate.b"), x, ws, Arrays.asList(null, null));
            assertEquals(List.of("gate.a", "gate.b"), ys.stream().map(Buf::name).toList());
        }
    }
}
