package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training step as CUDA graphs (issue 12): with graphs on, a step after warm-up is one upload, one scatter
 * launch, two graph launches and one read-back, and its results equal the eager path's bit for bit — the graphs
 * hold the same kernels with the same arguments, and the per-step scalars (warm-up learning rate, Adam's bias
 * corrections, MBA's λ) come from the device in both. A new shape records again; a re-planned session (which frees
 * the old buffers) drops every graph and records again. Plus the capture rules of the emulated device.
 */
class GraphStepTest {
    private static final int[] VOCAB = {6, 30, 5, 4};

    /** {B, T} of each step: shape A, a smaller shape B, A again, then C with T above the planned 4 (a re-plan). */
    private static final int[][] SHAPES = {
        {13, 4}, {13, 4}, {13, 4}, {13, 4}, {7, 3}, {7, 3}, {7, 3}, {13, 4}, {13, 4}, {16, 6}, {16, 6}, {16, 6}, {16, 6},
    };

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void graphStepsEqualEagerStepsBitForBit(String name) {
        CudaBackend graphs = Dev.backend(name);
        CudaBackend eager = name.equals("cuda") ? CudaBackend.gpu() : CudaBackend.emulated();
        eager.graphs().setEnabled(false);
        boolean wasOn = graphs.graphs().enabled();
        graphs.graphs().setEnabled(true);  // also under -Ddin4j.cuda.syncLaunches=true, which turns them off by default
        FeatureSchema schema = TestData.fullSchema();
        // Adam everywhere (bias corrections change every step), a warm-up schedule (the learning rate changes every
        // step), MBA on (its λ and sub-step count come from the learning rate), and an epoch change (task weights).
        TrainConfig cfg = TrainConfig.builder().embeddings(OptimizerSpec.adam(0.05)).dense(OptimizerSpec.adam(1e-3))
                .mbaLambda(0.5).warmupSteps(100).lrDecay(0.5).build();
        try (eager) {
            trainBoth(graphs, eager, cfg, schema);
        } finally {
            graphs.graphs().setEnabled(wasOn);
        }
    }

    private static void trainBoth(CudaBackend graphs, CudaBackend eager, TrainConfig cfg, FeatureSchema schema) {
        for (ModelConfig.Type type : List.of(ModelConfig.Type.DIN, ModelConfig.Type.PLE, ModelConfig.Type.DIN_PLE)) {
            SplittableRandom r = new SplittableRandom(11);
            List<Batch> batches = new ArrayList<>();
            for (int[] s : SHAPES) {
                batches.add(TestData.random(schema, VOCAB, TestData.lengths(s[0], s[1], r), r));
            }
            try (Model mg = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), graphs, 16);
                 Model me = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), eager, 16);
                 Trainer tg = new Trainer(mg, cfg); Trainer te = new Trainer(me, cfg)) {
                long recorded0 = graphs.graphs().recordings();
                long[] recordedAfter = new long[SHAPES.length];
                long[] graphLaunches = new long[SHAPES.length];
                for (int i = 0; i < SHAPES.length; i++) {
                    int epoch = i < 6 ? 0 : 1;
                    DeviceCounters.Snapshot g0 = graphs.device().counters().snapshot();
                    DeviceCounters.Snapshot e0 = eager.device().counters().snapshot();
                    double[] lg = tg.step(batches.get(i), epoch);
                    double[] le = te.step(batches.get(i), epoch);
                    DeviceCounters.Snapshot g = graphs.device().counters().snapshot().minus(g0);
                    DeviceCounters.Snapshot e = eager.device().counters().snapshot().minus(e0);
                    String at = type + " step " + i + " " + java.util.Arrays.toString(SHAPES[i]);
                    assertArrayEquals(le, lg, at + ": losses");
                    recordedAfter[i] = graphs.graphs().recordings() - recorded0;
                    graphLaunches[i] = g.graphLaunches();
                    if (i != 0 && i != 9) {  // the first step, and the re-planned one, upload gate lists once
                        assertEquals(1, g.uploads(), at + ": uploads " + g);
                        assertEquals(1, g.downloads(), at + ": read-backs " + g);
                        assertEquals(1, g.hostSyncs(), at + ": host synchronisations " + g);
                    }
                    assertEquals(e.kernels(), g.kernels(), at + ": graphs or not, the same kernels run");
                    assertEquals(e.kernels(), e.hostLaunches(), at + ": without graphs the host launches every kernel");
                    if (g.graphLaunches() == 2) {
                        // the scatter of the upload is the only kernel the host launches on its own
                        assertEquals(1, g.hostLaunches(), at + ": host launches " + g);
                    }
                }
                // Keys: the forward region's includes the sparse gradients' bounds left by the step before (a
                // clear covers them), so after a shape change it runs eagerly twice before it is recorded; the
                // update region's is the shape alone. C re-plans the session (frees): everything anew.
                assertArrayEquals(new long[] {0, 1, 2, 2, 2, 3, 4, 4, 4, 4, 5, 6, 6}, recordedAfter,
                        type + ": graphs recorded after each step");
                assertArrayEquals(new long[] {0, 1, 2, 2, 0, 1, 2, 1, 2, 0, 1, 2, 2}, graphLaunches,
                        type + ": graph launches of each step");
                for (int i = 0; i < mg.parameters().size(); i++) {
                    float[] a = HostIO.downloadFloats(eager, me.parameters().get(i).value());
                    float[] b = HostIO.downloadFloats(graphs, mg.parameters().get(i).value());
                    assertArrayEquals(a, b, type + " " + mg.parameters().get(i).name() + " after " + SHAPES.length + " steps");
                }
            }
        }
    }

    static boolean emulatorPresent() {
        return EmulatedDevice.available();
    }

    /** A capture records (runs nothing), a graph runs its launches and copies in order each time it is launched. */
    @Test
    @EnabledIf("emulatorPresent")
    void theEmulatorRecordsAndReplays() {
        try (EmulatedDevice d = EmulatedDevice.open(); Arena host = Arena.ofConfined()) {
            long n = 1000;
            long x = d.malloc(4 * n);
            long y = d.malloc(4 * n);
            DeviceCounters.Snapshot s0 = d.counters().snapshot();
            d.beginCapture();
            assertTrue(d.capturing());
            KernelArgs fill = KernelArgs.of().ptr(x).f32(1.5f).i64(n);
            d.launch("fill_forward", Dim3.of(4), Dim3.of(256), 0, fill);
            d.launch("add_into_forward", Dim3.of(4), Dim3.of(256), 0, KernelArgs.of().ptr(y).ptr(x).i64(n));
            d.copyOnDevice(y, x, 4 * n);
            long g = d.endCapture();
            assertFalse(d.capturing());
            assertEquals(0, d.counters().snapshot().minus(s0).kernels(), "nothing ran during the capture");
            MemorySegment out = host.allocate(4 * n, 4);
            d.copyToHost(y, out, 4 * n);
            assertEquals(0f, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 7), "y untouched by the capture");
            assertEquals(2, d.graphKernels(g));
            DeviceCounters.Snapshot s1 = d.counters().snapshot();
            d.launchGraph(g);  // x = 1.5; y += x (1.5); x = y (1.5)
            d.launchGraph(g);  // x = 1.5; y += x (3.0); x = y (3.0)
            DeviceCounters.Snapshot s = d.counters().snapshot().minus(s1);
            assertEquals(new DeviceCounters.Snapshot(4, 0, 0, 0, 0, 0, 0, 2), s, "two graph launches, four kernels, no host launches");
            d.copyToHost(y, out, 4 * n);
            for (long i = 0; i < n; i++) {
                assertEquals(3f, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i), "y[" + i + "]");
            }
            d.copyToHost(x, out, 4 * n);
            assertEquals(3f, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, n - 1), "the recorded copy ran last");
            d.destroyGraph(g);
            assertThrows(CudaException.class, () -> d.launchGraph(g));
            d.free(x);
            d.free(y);
        }
    }

    /** What a GPU's capture refuses, the emulator refuses too, naming the driver's error; then the device works on. */
    @Test
    @EnabledIf("emulatorPresent")
    void aCaptureRefusesHostWork() {
        try (EmulatedDevice d = EmulatedDevice.open(); Arena host = Arena.ofConfined()) {
            long x = d.malloc(64);
            MemorySegment m = host.allocate(64, 8);
            List<Runnable> refused = List.of(
                    d::synchronize,
                    () -> d.copyToHost(x, m, 64),
                    () -> d.copyToDevice(m, x, 64),
                    () -> d.malloc(64),
                    () -> d.free(x),
                    () -> d.allocPinned(64));
            for (Runnable call : refused) {
                d.beginCapture();
                CudaException e = assertThrows(CudaException.class, call::run);
                assertTrue(e.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), e.getMessage());
                d.abortCapture();
                assertFalse(d.capturing());
            }
            d.beginCapture();
            assertThrows(CudaException.class, d::beginCapture, "one capture at a time");
            d.abortCapture();
            d.synchronize();  // after the capture, all of it is allowed again
            d.copyToHost(x, m, 64);
            d.free(x);
        }
    }

    /**
     * The backend's side: scratch that would have to grow inside a capture fails loudly (an eager run of the shape
     * sizes it first), and a region that reads back fails loudly too; both leave the backend usable.
     */
    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void aRegionThatCannotBeCapturedFailsLoudly(String name) {
        Dev.backend(name);  // skips when the device is absent
        // a backend of its own: its scratch buffers start small
        try (CudaBackend cuda = name.equals("cuda") ? CudaBackend.gpu() : CudaBackend.emulated();
             TensorArena d = cuda.newArena()) {
            cuda.graphs().setEnabled(true);
            Tensor ids10 = d.allocate(DType.I32, 10);
            Tensor ids1000 = d.allocate(DType.I32, 1000);
            Tensor d10 = d.f32(10, 2);
            Tensor d1000 = d.f32(1000, 2);
            io.din4j.backend.SparseGrad g = cuda.embedding().newSparseGrad(d, 8, 2, 4);
            Object key = "backward";
            Runnable small = () -> {
                try (io.din4j.backend.Backend.Scope v = cuda.hostValidated()) {
                    g.clear();
                    cuda.embedding().gatherBackward(ids10, d10, g);
                }
            };
            assertFalse(cuda.replay().run(key, small), "the first call runs eagerly");
            // the same key, a region whose scratch must grow: refused inside the capture
            CudaException e = assertThrows(CudaException.class, () -> cuda.replay().run(key, () -> {
                try (io.din4j.backend.Backend.Scope v = cuda.hostValidated()) {
                    g.clear();
                    cuda.embedding().gatherBackward(ids1000, d1000, g);
                }
            }));
            assertTrue(e.getMessage().contains("sparse.hpos") && e.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
                    e.getMessage());
            assertFalse(cuda.device().capturing(), "the failed capture was ended");
            Tensor x = d.f32(10);
            Object key2 = "readback";
            cuda.replay().run(key2, () -> cuda.tensor().sumSquares(x));
            e = assertThrows(CudaException.class, () -> cuda.replay().run(key2, () -> cuda.tensor().sumSquares(x)));
            assertTrue(e.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), e.getMessage());
            assertFalse(cuda.device().capturing());
            cuda.tensor().fill(x, 2f);
            assertEquals(40.0, cuda.tensor().sumSquares(x), "the backend still works");
            // a region that can be captured: eager, recorded, replayed, each leaving the gradient's bound as it should
            for (int i = 0; i < 3; i++) {
                boolean replayed = cuda.replay().run("ok", small);
                assertEquals(i == 2, replayed, "call " + i);
                assertEquals(4, g.countBound(), "the bound (10 positions, capacity 4) after call " + i);
                assertEquals(1, g.count(), "one row (id 0) after call " + i);
            }
        }
    }
}
