package io.din4j.graph;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Activation;
import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Graph.Extent;
import io.din4j.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link OpTimes}: every op of a graph that ran while recording gets a row with its exact call count, forward and
 * backward apart, named by its kind and output; rows of graphs with the same ops add up; nothing is recorded
 * outside {@link OpTimes#start()} and {@link OpTimes#stop()}, and a new recording starts from zero.
 */
class OpTimesTest {
    /** ids [B] → embedding [B, 4] → linear [B, 3] → ReLU; a training graph when {@code training}. */
    private static Graph graph(Backend backend, ParamStore ps, boolean training) {
        Graph g = new Graph(backend, ps, 8, 1, training);
        Buf ids = g.input("in.ids", DType.I32, Extent.BATCH);
        Buf e = g.gather("emb", ps.get("table"), ids);
        Buf y = g.activation("act", g.linear("fc", e, ps.get("w"), ps.get("b")), Activation.RELU, null, null);
        g.finish();
        g.bind(8, 1);
        for (int i = 0; i < 8; i++) {
            ids.v().setInt(i, i % 5);
        }
        assertEquals("act", y.name());
        return g;
    }

    private static Map<String, OpTimes.Row> byLabel(List<OpTimes.Row> rows) {
        return rows.stream().collect(Collectors.toMap(OpTimes.Row::label, Function.identity()));
    }

    @Test
    void countsEveryOpOfEveryGraphThatRanWhileRecording() {
        try (Backend backend = new CpuBackend(2); ParamStore ps = new ParamStore(backend)) {
            ps.embedding("table", 5, 4, null);
            ps.dense("w", 3, 4);
            ps.dense("b", 3);
            Graph train = graph(backend, ps, true);
            Graph infer1 = graph(backend, ps, false);
            Graph infer2 = graph(backend, ps, false);

            infer1.forward(false); // before start: not recorded
            OpTimes.start();
            for (int step = 0; step < 3; step++) {
                train.forward(true);
                train.zeroGrads();
                train.backward();
            }
            infer1.forward(false);
            infer2.forward(false);
            infer2.forward(false);
            List<OpTimes.Row> rows = OpTimes.stop();
            infer1.forward(false); // after stop: not recorded

            Map<String, OpTimes.Row> r = byLabel(rows);
            assertEquals(rows.size(), r.size(), "one row per label: " + rows);
            // Forward rows: 3 training forwards and 3 inference forwards (two graphs, one row).
            for (String label : List.of("gather emb", "linear fc", "activation act")) {
                assertEquals(6, r.get(label).calls(), label);
                assertTrue(r.get(label).nanos() > 0, label);
            }
            // Backward rows: the dense ops' own, the embedding gradients of all tables as one call per step.
            assertEquals(3, r.get("linear fc (backward)").calls());
            assertEquals(3, r.get("activation act (backward)").calls());
            assertEquals(3, r.get("gather all tables (backward)").calls());
            assertNull(r.get("gather emb (backward)"), "the gather's backward runs in the tables' batch");
            assertEquals(6, rows.size(), "3 forward and 3 backward rows, no others: " + rows);
            for (int i = 1; i < rows.size(); i++) {
                assertTrue(rows.get(i - 1).nanos() >= rows.get(i).nanos(), "slowest first");
            }

            OpTimes.start();
            infer2.forward(false);
            Map<String, OpTimes.Row> again = byLabel(OpTimes.stop());
            assertEquals(3, again.size(), "a new recording starts from zero: " + again);
            assertEquals(1, again.get("linear fc").calls());
        }
    }

    @Test
    void opsAddedFromOutsideAreNamedAfterTheirOutput() {
        try (Backend backend = new CpuBackend(1); ParamStore ps = new ParamStore(backend)) {
            Graph g = new Graph(backend, ps, 2, 1, false);
            Buf x = g.buf("custom.out", Extent.BATCH, 1);
            g.add(new Op() {
                @Override
                public void forward(boolean training) {
                    backend.tensor().fill(x.v(), 1f);
                }

                @Override
                public void backward() {
                }
            });
            g.finish();
            g.bind(2, 1);
            OpTimes.start();
            g.forward(false);
            List<OpTimes.Row> rows = OpTimes.stop();
            assertEquals(1, rows.size());
            assertEquals("op custom.out", rows.get(0).label());
            assertEquals(1, rows.get(0).calls());
        }
    }
}
