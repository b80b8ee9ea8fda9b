package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.PlanningException;
import io.din4j.model.TestData;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device out-of-memory, through the emulator: a device with a fixed capacity refuses allocations the way
 * {@code cuMemAlloc} does. A session too large for it fails with a {@link PlanningException} that names the request
 * and suggests a smaller batch, frees everything the failed request had allocated, and leaves the model serving with
 * its planned batch; a model too large for it fails to load the same way; and the process goes on on the cpu
 * backend.
 */
class DeviceOutOfMemoryTest {
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    /** The emulated device with {@code capacity} bytes of memory. */
    static final class LimitedDevice implements Device {
        private final Device d;
        private final long capacity;
        private final Map<Long, Long> sizes = new HashMap<>();
        private long used;

        LimitedDevice(Device d, long capacity) {
            this.d = d;
            this.capacity = capacity;
        }

        synchronized long used() {
            return used;
        }

        @Override
        public synchronized long malloc(long bytes) {
            if (used + bytes > capacity) {
                throw new CudaException("cuMemAlloc(" + bytes + " bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (free "
                        + (capacity - used) + " of " + capacity + " bytes)");
            }
            long p = d.malloc(bytes);
            sizes.put(p, bytes);
            used += bytes;
            return p;
        }

        @Override
        public synchronized void free(long address) {
            used -= sizes.remove(address);
            d.free(address);
        }

        @Override
        public String description() {
            return d.description() + ", limited to " + capacity + " bytes";
        }

        @Override
        public DeviceCounters counters() {
            return d.counters();
        }

        @Override
        public void setMaxDynamicSharedBytes(String kernel, int bytes) {
            d.setMaxDynamicSharedBytes(kernel, bytes);
        }

        @Override
        public boolean emulated() {
            return d.emulated();
        }

        @Override
        public int maxSharedBytes() {
            return d.maxSharedBytes();
        }

        @Override
        public int gridStrideBlocks() {
            return d.gridStrideBlocks();
        }

        @Override
        public void copyToDevice(MemorySegment src, long dst, long bytes) {
            d.copyToDevice(src, dst, bytes);
        }

        @Override
        public void copyToHost(long src, MemorySegment dst, long bytes) {
            d.copyToHost(src, dst, bytes);
        }

        @Override
        public void copyOnDevice(long src, long dst, long bytes) {
            d.copyOnDevice(src, dst, bytes);
        }

        @Override
        public void beginCapture() {
            d.beginCapture();
        }

        @Override
        public long endCapture() {
            return d.endCapture();
        }

        @Override
        public void abortCapture() {
            d.abortCapture();
        }

        @Override
        public boolean capturing() {
            return d.capturing();
        }

        @Override
        public void launchGraph(long graph) {
            d.launchGraph(graph);
        }

        @Override
        public void destroyGraph(long graph) {
            d.destroyGraph(graph);
        }

        @Override
        public long graphKernels(long graph) {
            return d.graphKernels(graph);
        }

        @Override
        public void copyToDeviceAsync(MemorySegment pinnedSrc, long dst, long bytes) {
            d.copyToDeviceAsync(pinnedSrc, dst, bytes);
        }

        @Override
        public MemorySegment allocPinned(long bytes) {
            return d.allocPinned(bytes);
        }

        @Override
        public void freePinned(MemorySegment pinned) {
            d.freePinned(pinned);
        }

        @Override
        public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
            d.launch(kernel, grid, block, sharedBytes, args);
        }

        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                         float beta, long c, int ldc) {
            d.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        @Override
        public long createStream() {
            return d.createStream();
        }

        @Override
        public void setStream(long stream) {
            d.setStream(stream);
        }

        @Override
        public void destroyStream(long stream) {
            d.destroyStream(stream);
        }

        @Override
        public long createEvent() {
            return d.createEvent();
        }

        @Override
        public void recordEvent(long event) {
            d.recordEvent(event);
        }

        @Override
        public float elapsedMillis(long start, long end) {
            return d.elapsedMillis(start, end);
        }

        @Override
        public void destroyEvent(long event) {
            d.destroyEvent(event);
        }

        @Override
        public void synchronize() {
            d.synchronize();
        }

        @Override
        public void close() {
            d.close();
        }
    }

    private Path saved() {
        try (Backend cpu = new CpuBackend(1);
             Model m = Model.create(TestData.small(ModelConfig.Type.DIN), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(8);
            for (int i = 0; i < 3; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            Path dir = tmp.resolve("model");
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    @Test
    void outOfDeviceMemoryNamesTheRequestFreesItAndTheProcessGoesOn() {
        assumeTrue(EmulatedDevice.available(), EmulatedDevice::unavailableReason);
        Path dir = saved();
        Batch batch = TestData.random(schema, VOCAB, new int[] {3, 0, 5, 1, 2, 7}, new SplittableRandom(2));
        float[][] onDevice;
        LimitedDevice dev = new LimitedDevice(EmulatedDevice.open(), 8L << 20);
        try (CudaBackend cuda = new CudaBackend(dev); Predictor p = Predictor.load(dir, cuda, 8)) {
            onDevice = p.predict(batch);
            long held = dev.used();
            int rows = 1 << 20;
            try (Predictor big = Predictor.of(p.model(), rows)) {
                PlanningException e = assertThrows(PlanningException.class, () -> big.predict(batch));
                String m = e.getMessage();
                assertTrue(m.contains(rows + " rows") && m.contains("cuda-emu") && m.contains("cuMemAlloc(")
                        && m.contains("smaller batch"), m);
                assertInstanceOf(CudaException.class, e.getCause());
                System.out.println("reliability: device out of memory: " + m);
            }
            assertEquals(held, dev.used(), "the failed request's device memory was not freed");
            // The device keeps serving at the planned batch, with the same results.
            float[][] again = p.predict(batch);
            for (int k = 0; k < again.length; k++) {
                assertArrayEquals(onDevice[k], again[k], 0f);
            }
        }
        // A device too small for the parameters: the load fails cleanly and frees what it took.
        LimitedDevice tiny = new LimitedDevice(EmulatedDevice.open(), 1024);
        try (CudaBackend cuda = new CudaBackend(tiny)) {
            PlanningException e = assertThrows(PlanningException.class, () -> ModelFiles.load(dir, cuda, 8));
            assertTrue(e.getMessage().contains("parameters") && e.getMessage().contains("cuda-emu")
                    && e.getMessage().contains("cuMemAlloc("), e.getMessage());
            assertEquals(0, tiny.used());
        }
        // And the process goes on on the cpu backend.
        try (Backend cpu = new CpuBackend(1); Predictor p = Predictor.load(dir, cpu, 8)) {
            float[][] onCpu = p.predict(batch);
            for (int k = 0; k < onCpu.length; k++) {
                for (int i = 0; i < onCpu[k].length; i++) {
                    // Different kernels and summation orders on a tiny model: 1e-5 absolute on probabilities.
                    assertEquals(onDevice[k][i], onCpu[k][i], 1e-5, "task " + k + " row " + i);
                }
            }
        }
    }

    /**
     * On a real GPU (skipped elsewhere): a model whose embedding table (2^20 × 65536 floats, 256 GiB) exceeds any
     * device fails to load with a {@link PlanningException} carrying cuMemAlloc's own error, and the same device then
     * serves a model that fits.
     */
    @Test
    void realDeviceOutOfMemory() {
        CudaBackend gpu = Dev.backend("cuda");
        int[] huge = {1 << 20, 9, 5, 4};
        ModelConfig wide = TestData.small(ModelConfig.Type.DIN).toBuilder().embeddingDim(ModelConfig.MAX_WIDTH).build();
        PlanningException e = assertThrows(PlanningException.class, () -> new Model(wide, schema, huge, gpu, 8));
        assertTrue(e.getMessage().contains("cuMemAlloc(") && e.getMessage().contains("parameters"), e.getMessage());
        System.out.println("reliability: real device out of memory: " + e.getMessage());
        try (Model m = Model.create(TestData.small(ModelConfig.Type.DIN), schema, TestData.vocabularies(schema, VOCAB), gpu, 8)) {
            float[][] p = m.forward(TestData.random(schema, VOCAB, new int[] {3, 0, 5}, new SplittableRandom(3)), false);
            assertTrue(p[0][0] > 0 && p[0][0] < 1);
        }
    }
}
