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
 * {@link Graph#gatherConcat} (one op gathering every table into its columns) against the lookups and the
 * concatenation it replaces: in an inference graph the same values, bit for bit, for rows and for sequences; in a
 * training graph the same sparse gradients, bit for bit, each table's read from its columns of the output's gradient.
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

    @Test
    void trainingGraphsSendEachTableTheGradientOfItsColumns() {
        for (Backend backend : new Backend[] {new CpuBackend(2), new ReferenceBackend()}) {
            try (backend; ParamStore ps = new ParamStore(backend)) {
                Random r = new Random(6);
                long compared = 0;
                List<Param> tables = List.of(ps.embedding("a", 30, 3, null), ps.embedding("b", 60, 17, null));
                boolean[] sequences = {false, true};
                for (boolean sequence : sequences) {
                    // Two training graphs on one parameter store, each with gradients of its own: fused, and apart.
                    Graph fused = new Graph(backend, ps, 20, 6, true);
                    Graph apart = new Graph(backend, ps, 20, 6, true);
                    Buf[] out = new Buf[2];
                    List<List<Buf>> ids = new java.util.ArrayList<>();
                    Buf[] lengths = new Buf[2];
                    for (int k = 0; k < 2; k++) {
                        Graph g = k == 0 ? fused : apart;
                        Extent e = sequence ? Extent.SEQUENCE : Extent.BATCH;
                        List<Buf> in = List.of(g.input("ia", DType.I32, e), g.input("ib", DType.I32, e));
                        ids.add(in);
                        lengths[k] = sequence ? g.input("len", DType.I32, Extent.BATCH) : null;
                        out[k] = k == 0 ? g.gatherConcat("y", List.of("ea", "eb"), tables, in, lengths[k])
                                : g.concat("y", List.of(sequence ? g.gatherSequence("ea", tables.get(0), in.get(0), lengths[k])
                                        : g.gather("ea", tables.get(0), in.get(0)),
                                        sequence ? g.gatherSequence("eb", tables.get(1), in.get(1), lengths[k])
                                                : g.gather("eb", tables.get(1), in.get(1))));
                        g.finish();
                    }
                    for (int[] bt : new int[][] {{1, 1}, {20, 6}, {9, 4}}) {
                        int n = bt[0], t = sequence ? bt[1] : 1;
                        int[][] idv = new int[2][n * t];
                        int[] len = new int[n];
                        for (int k = 0; k < 2; k++) {
                            for (int i = 0; i < n * t; i++) {
                                // repeated ids, so rows are summed
                                idv[k][i] = r.nextInt(tables.get(k).value().dimInt(0) / 3);
                            }
                        }
                        for (int i = 0; i < n; i++) {
                            len[i] = r.nextInt(t + 1);
                        }
                        float[] dy = new float[n * t * 20];
                        for (int i = 0; i < dy.length; i++) {
                            dy[i] = (float) r.nextGaussian();
                        }
                        for (int k = 0; k < 2; k++) {
                            Graph g = k == 0 ? fused : apart;
                            g.bind(n, t);
                            for (int f = 0; f < 2; f++) {
                                for (int i = 0; i < n * t; i++) {
                                    ids.get(k).get(f).v().setInt(i, idv[f][i]);
                                }
                            }
                            if (sequence) {
                                for (int i = 0; i < n; i++) {
                                    lengths[k].v().setInt(i, len[i]);
                                }
                            }
                            g.forward(true);
                            g.zeroGrads();
                            for (int i = 0; i < dy.length; i++) {
                                out[k].g().setFloat(i, dy[i]);
                            }
                            g.backward();
                        }
                        assertArrayEquals(out[1].v().toFloatArray(), out[0].v().toFloatArray(), backend.name() + " values");
                        for (Param p : tables) {
                            io.din4j.backend.RowSparseGrad gf = (io.din4j.backend.RowSparseGrad) fused.sparseGrad(p);
                            io.din4j.backend.RowSparseGrad ga = (io.din4j.backend.RowSparseGrad) apart.sparseGrad(p);
                            String what = backend.name() + " " + p.name() + (sequence ? " sequences" : " rows") + " B=" + n + " T=" + t;
                            assertEquals(ga.count(), gf.count(), what);
                            compared += gf.count();
                            int[] rowsF = gf.rows().toIntArray();
                            int[] rowsA = ga.rows().toIntArray();
                            float[] vf = gf.values().toFloatArray();
                            float[] va = ga.values().toFloatArray();
                            int w = gf.width();
                            for (int i = 0; i < gf.count(); i++) {
                                assertEquals(rowsA[i], rowsF[i], what + " row " + i);
                                for (int c = 0; c < w; c++) {
                                    assertEquals(va[i * w + c], vf[i * w + c], what + " gradient row " + rowsA[i] + " [" + c + "]");
                                }
                            }
                        }
                    }
                    fused.close();
                    apart.close();
                }
                assertTrue(compared > 50, backend.name() + ": gradient rows compared: " + compared);
            }
        }
    }
}
