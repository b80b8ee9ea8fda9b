package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The device counters count what happened: launches, host synchronisations, uploads and their bytes. */
class DeviceCountersTest {
    static java.util.stream.Stream<String> devices() {
        return Dev.names();
    }

    @ParameterizedTest
    @MethodSource("devices")
    void countersFollowTheWork(String name) {
        CudaBackend c = Dev.backend(name);
        DeviceCounters counters = c.device().counters();
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor x = h.f32(5, 3);
            Tensor w = h.f32(2, 3);
            DeviceCounters.Snapshot s0 = counters.snapshot();
            Tensor dx = Dev.up(c, d, x);
            Tensor dw = Dev.up(c, d, w);
            DeviceCounters.Snapshot up = counters.snapshot().minus(s0);
            assertEquals(new DeviceCounters.Snapshot(0, 0, 2, x.byteSize() + w.byteSize(), 0, 0), up, "two uploads");

            Tensor y = d.f32(5, 2);
            DeviceCounters.Snapshot s1 = counters.snapshot();
            c.dense().linear(dx, dw, null, y);  // one GEMM, no bias
            c.tensor().fill(y, 1f);             // one elementwise launch
            assertEquals(new DeviceCounters.Snapshot(2, 0, 0, 0, 0, 0), counters.snapshot().minus(s1), "two kernels");

            DeviceCounters.Snapshot s2 = counters.snapshot();
            Tensor back = Dev.down(c, h, y);
            c.synchronize();
            assertEquals(new DeviceCounters.Snapshot(0, 2, 0, 0, 1, back.byteSize()), counters.snapshot().minus(s2),
                    "a read-back (which waits for the stream) and a synchronize");
        }
    }
}
