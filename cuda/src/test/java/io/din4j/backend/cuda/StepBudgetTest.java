package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.SparseGrad;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
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
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 12's budget for a device-resident training step, counted by the device: at most one upload (the batch)
 * and one host synchronisation (the read-back of the losses and the gradient status) per step, for DIN, PLE and
 * DIN+PLE; and the pieces that make it possible — the batched upload, and a sparse gradient whose overflow is
 * found on the device without a read-back in the backward pass.
 */
class StepBudgetTest {
    private static final int[] VOCAB = {6, 30, 5, 4};
    private static final int STEPS = 3;

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void aTrainingStepMakesOneUploadAndOneReadBack(String name) {
        CudaBackend cuda = Dev.backend(name);
        FeatureSchema schema = TestData.fullSchema();
        // MBA regularisation on: it walks the sparse gradients too, and must not read their counts back.
        TrainConfig cfg = TrainConfig.builder().embeddings(OptimizerSpec.adagrad(0.05)).dense(OptimizerSpec.adam(1e-4))
                .mbaLambda(0.01).build();
        for (ModelConfig.Type type : List.of(ModelConfig.Type.DIN, ModelConfig.Type.PLE, ModelConfig.Type.DIN_PLE)) {
            SplittableRandom r = new SplittableRandom(7);
            try (Model m = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cuda, 16);
                 Trainer t = new Trainer(m, cfg)) {
                Batch[] batches = new Batch[STEPS + 2];
                for (int i = 0; i < batches.length; i++) {
                    batches[i] = TestData.random(schema, VOCAB, TestData.lengths(13, 4, r), r);
                }
                // two warm-up steps plan the sessions, allocate scratch and upload the gate expert lists once
                t.step(batches[0], 0);
                t.step(batches[1], 0);
                DeviceCounters.Snapshot before = cuda.device().counters().snapshot();
                for (int i = 0; i < STEPS; i++) {
                    t.step(batches[2 + i], 0);
                }
                DeviceCounters.Snapshot d = cuda.device().counters().snapshot().minus(before);
                assertEquals(STEPS, d.uploads(), type + ": uploads in " + STEPS + " steps (" + d + ")");
                assertEquals(STEPS, d.hostSyncs(), type + ": host synchronisations in " + STEPS + " steps (" + d + ")");
                assertEquals(STEPS, d.downloads(), type + ": read-backs in " + STEPS + " steps (" + d + ")");
                assertTrue(d.kernels() > 0, type + ": kernels");
            }
        }
    }

    /** Many tensors in one call: every byte lands where it belongs, in one upload and one launch. */
    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void aBatchedUploadFillsEveryTensor(String name) {
        CudaBackend cuda = Dev.backend(name);
        try (TensorArena d = cuda.newArena(); HostArena h = new HostArena()) {
            int[] ints = new int[37];
            float[] floats = new float[5];
            double[] doubles = new double[3];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = i * 7919 - 100;
            }
            for (int i = 0; i < floats.length; i++) {
                floats[i] = i * 0.25f - 1;
            }
            for (int i = 0; i < doubles.length; i++) {
                doubles[i] = Math.PI * i;
            }
            Tensor di = d.allocate(DType.I32, 37);
            Tensor df = d.allocate(DType.F32, 5);
            Tensor dd = d.allocate(DType.F64, 3);
            Tensor empty = d.allocate(DType.F32, 0);
            Tensor view = d.allocate(DType.I32, 10).rows(3, 7);  // a view: only its 4 ints change
            Tensor whole = view;
            for (int round = 0; round < 3; round++) {  // both staging buffers, then the first again
                DeviceCounters.Snapshot s0 = cuda.device().counters().snapshot();
                cuda.copyFromHost(List.of(MemorySegment.ofArray(ints), MemorySegment.ofArray(floats),
                        MemorySegment.ofArray(doubles), MemorySegment.ofArray(new float[0]),
                        MemorySegment.ofArray(new int[] {1, 2, 3, 4, 5})), List.of(di, df, dd, empty, whole));
                DeviceCounters.Snapshot s = cuda.device().counters().snapshot().minus(s0);
                assertEquals(1, s.uploads(), "one upload");
                assertEquals(1, s.kernels(), "one scatter launch");
                assertEquals(0, s.hostSyncs(), "the read-backs since synchronised: no wait for the staging buffer");
                assertArrayEquals(ints, Dev.down(cuda, h, di).toIntArray());
                assertArrayEquals(floats, Dev.down(cuda, h, df).toFloatArray());
                assertArrayEquals(doubles, Dev.down(cuda, h, dd).toDoubleArray());
                ints[round] += 1000;
            }
            // back to back, without a read-back between: the third call finds its buffer's copy perhaps still in
            // flight and waits once
            DeviceCounters.Snapshot s0 = cuda.device().counters().snapshot();
            for (int i = 0; i < 3; i++) {
                cuda.copyFromHost(List.of(MemorySegment.ofArray(ints)), List.of(di));
            }
            assertEquals(1, cuda.device().counters().snapshot().minus(s0).hostSyncs(), "one wait in three back-to-back uploads");
            Tensor around = Tensor.onDevice(DType.I32, view.deviceAddress() - 12, 10);
            assertArrayEquals(new int[] {0, 0, 0, 1, 2, 3, 4, 0, 0, 0}, Dev.down(cuda, h, around).toIntArray());
            assertThrows(IllegalArgumentException.class, () -> cuda.copyFromHost(List.of(MemorySegment.ofArray(new int[2])),
                    List.of(di)), "a source shorter than its tensor");
        }
    }

    /**
     * Inside a host-validated scope a capacity overflow is found on the device, not by a read-back: the backward
     * call returns, the gradient's values hold a NaN (what the trainer's finiteness check reads), a sparse update
     * leaves the table alone, and asking the count throws.
     */
    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void aDeferredOverflowIsFoundOnTheDevice(String name) {
        CudaBackend cuda = Dev.backend(name);
        try (TensorArena d = cuda.newArena(); HostArena h = new HostArena()) {
            Tensor ids = Dev.up(cuda, d, h.i32(6).copyFrom(new int[] {1, 2, 3, 4, 5, 1}));
            Tensor dOut = d.f32(6, 2);
            cuda.tensor().fill(dOut, 0.5f);
            Tensor table = d.f32(8, 2);
            cuda.tensor().fill(table, 1f);
            SparseGrad g = cuda.embedding().newSparseGrad(d, 8, 2, 3);
            DeviceCounters.Snapshot s0 = cuda.device().counters().snapshot();
            try (Backend.Scope v = cuda.hostValidated()) {
                cuda.embedding().gatherBackward(ids, dOut, g);
                cuda.optimizer().sgdSparse(table, g, 0.1f);
            }
            DeviceCounters.Snapshot s = cuda.device().counters().snapshot().minus(s0);
            assertEquals(0, s.hostSyncs(), "no read-back inside the scope");
            assertEquals(0, s.uploads(), "no upload inside the scope");
            assertTrue(g.countBound() >= 3, "bound " + g.countBound());
            float[] values = Dev.down(cuda, h, g.values()).toFloatArray();
            assertTrue(Float.isNaN(values[0]), "values[0] is NaN after an overflow");
            float[] t = Dev.down(cuda, h, table).toFloatArray();
            for (float x : t) {
                assertEquals(1f, x, "the table is untouched");
            }
            assertThrows(IllegalStateException.class, g::count);
            g.clear();
            assertEquals(0, g.count());
            // outside the scope the same overflow throws at once, as the SPI says
            assertThrows(IllegalStateException.class, () -> cuda.embedding().gatherBackward(ids, dOut, g));
            g.clear();
            // and a batch that fits gives the same rows with or without the scope
            Tensor few = Dev.up(cuda, d, h.i32(4).copyFrom(new int[] {5, 2, 5, 2}));
            Tensor dFew = d.f32(4, 2);
            cuda.tensor().fill(dFew, 0.25f);
            try (Backend.Scope v = cuda.hostValidated()) {
                cuda.embedding().gatherBackward(few, dFew, g);
            }
            assertEquals(2, g.count());
            assertArrayEquals(new int[] {5, 2}, java.util.Arrays.copyOf(Dev.down(cuda, h, g.rows()).toIntArray(), 2));
            assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0f, 0f},
                    Dev.down(cuda, h, g.values()).toFloatArray());
        }
    }
}
