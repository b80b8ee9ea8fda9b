package io.din4j.backend.cuda;

import io.din4j.tensor.DType;
import io.din4j.tensor.Shape;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;

/** Device memory for tensors; every allocation is zero-filled and freed when the arena closes. */
final class DeviceArena implements TensorArena {
    private final Device device;
    private final List<Long> blocks = new ArrayList<>();
    private long allocated;
    private boolean closed;

    DeviceArena(Device device) {
        this.device = device;
    }

    @Override
    public synchronized Tensor allocate(DType dtype, long... shape) {
        if (closed) {
            throw new IllegalStateException("arena is closed");
        }
        long bytes = Math.multiplyExact(Shape.count(shape), (long) dtype.bytes());
        long p = device.malloc(Math.max(bytes, 1));
        blocks.add(p);
        allocated += bytes;
        return Tensor.onDevice(dtype, p, shape);
    }

    @Override
    public synchronized long allocatedBytes() {
        return allocated;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (long p : blocks) {
                device.free(p);
            }
            blocks.clear();
        }
    }
}
