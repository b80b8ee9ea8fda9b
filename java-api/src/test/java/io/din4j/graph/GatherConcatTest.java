package io.din4j.graph;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Graph.Extent;
import io.din4j.tensor.DType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Graph#gatherConcat} in an inference graph (one op gathering every table into its columns) against the lookups
 * and the concatenation it replaces, in the same graph: the same values, bit for bit, for rows and for sequences.
 */
class GatherConcatTest {
    @Test
    void oneOpEqualsTheLookupsAndTheirConcatenation() {
        for (Backend backend : new Backend[] {new CpuBackend(2), new ReferenceBackend()}) {
            try (backend; ParamStore ps = new ParamStore(backend)) {
                assertTrue(backend.embedding().gathersIntoColumns(), backend.name());
                Random r = new Random(5);
                Param a = ps.embedding("a", 50, 3, null);
                Param b = ps.embedding("b", 70, 17, null);
                Param c = ps.embedding("c", 20, 8, null);
                for (Param p : List.of(a, b, c)) {
                    for (long i = 0; i < p.value().size(); i++) {
                        p.value().set(i, r.nextGaussian());
                    }
                }
                List<Param> tables = List.of(a, b, c);
                Graph g = new Graph(backend, ps, 40, 9, false);
                List<Buf> ids = List.of(g.input("ia", DType.I32, Extent.BATCH), g.input("ib", DType.I32, Extent.BATCH),
                        g.input("ic", DType.I32, Extent.BATCH));
                List<Buf> seqs = List.of(g.input("sa", DType.I32, Extent.SEQUENCE), g.input("sb", DType.I32, Extent.SEQUENCE),
                        g.input("sc", DType.I32, Extent.SEQUENCE));
                Buf lengths = g.input("len", DType.I32, Extent.BATCH);
                List<String> names = List.of("ea", "eb", "ec");
                Buf rows = g.gatherConcat("rows", names, tables, ids, null);
                Buf rowsApart = g.concat("rows.apart", List.of(g.gather("ga", a, ids.get(0)), g.gather("gb", b, ids.get(1)),
                        g.gather("gc", c, ids.get(2))));
                Buf seq = g.gatherConcat("seq", names, tables, seqs, lengths);
                Buf seqApart = g.concat("seq.apart", List.of(g.gatherSequence("sa.e", a, seqs.get(0), lengths),
                        g.gatherSequence("sb.e", b, seqs.get(1), lengths), g.gatherSequence("sc.e", c, seqs.get(2), lengths)));
                assertEquals(28, rows.width());
                g.finish();
                for (int[] bt : new int[][] {{1, 1}, {7, 9}, {40, 5}}) {
                    int n = bt[0], t = bt[1];
                    g.bind(n, t);
                    for (int k = 0; k < 3; k++) {
                        int v = tables.get(k).value().dimInt(0);
                        for (long i = 0; i < n; i++) {
                            ids.get(k).v().setInt(i, r.nextInt(v));
                        }
                        for (long i = 0; i < (long) n * t; i++) {
                            seqs.get(k).v().setInt(i, r.nextInt(v));
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        lengths.v().setInt(i, r.nextInt(t + 1));
                    }
                    // Stale values from an earlier bind must not survive in the fused buffers' padding.
                    backend.tensor().fill(seq.v(), Float.NaN);
                    g.forward(false);
                    assertArrayEquals(rowsApart.v().toFloatArray(), rows.v().toFloatArray(), backend.name() + " rows B=" + n);
                    assertArrayEquals(seqApart.v().toFloatArray(), seq.v().toFloatArray(), backend.name() + " sequences B=" + n + " T=" + t);
                }
            }
        }
    }
}
