package io.din4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense, row-major, contiguous tensor: a {@link MemorySegment} plus a shape and an element type.
 *
 * <p>A tensor does not own its memory: a {@link TensorArena} does, and closing the arena invalidates every tensor
 * allocated from it (any later access throws {@link IllegalStateException}; it never reads freed memory). Views
 * ({@link #reshape}, {@link #rows}) share memory with their parent. Offsets are {@code long}, so tables larger than
 * 2 GiB work.
 *
 * <p>Device tensors carry the device address in a zero-length segment; reading their elements from Java throws.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private final DType dtype;
    private final long[] shape;
    private final long size;
    private final MemorySegment segment;
    private final Placement placement;
    private final long deviceAddress;
    private final DerivedCache cache;

    private Tensor(DType dtype, long[] shape, MemorySegment segment, Placement placement, long deviceAddress) {
        this(dtype, shape, segment, placement, deviceAddress, null);
    }

    private Tensor(DType dtype, long[] shape, MemorySegment segment, Placement placement, long deviceAddress,
            DerivedCache cache) {
        this.cache = cache;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = Shape.count(shape);
        this.segment = segment;
        this.placement = placement;
        this.deviceAddress = deviceAddress;
    }

    /**
     * Wraps host memory. The segment must hold exactly {@code count(shape) * dtype.bytes()} bytes.
     */
    public static Tensor wrap(DType dtype, MemorySegment segment, long... shape) {
        long need = Shape.count(shape) * dtype.bytes();
        if (segment.byteSize() != need) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes cannot hold a " + dtype
                    + " tensor of shape " + Shape.toString(shape) + " (" + need + " bytes)");
        }
        return new Tensor(dtype, shape, segment, Placement.HOST, 0L);
    }

    /** Describes device memory at {@code address}; used by device backends only. */
    public static Tensor onDevice(DType dtype, long address, long... shape) {
        return new Tensor(dtype, shape, MemorySegment.NULL, Placement.DEVICE, address);
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i}; negative {@code i} counts from the end. */
    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Dimension {@code i} as an int, checked. */
    public int dimInt(int i) {
        return Math.toIntExact(dim(i));
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    public long byteSize() {
        return size * dtype.bytes();
    }

    public Placement placement() {
        return placement;
    }

    public boolean isHost() {
        return placement == Placement.HOST;
    }

    /** The host memory of this tensor; throws for device tensors. */
    public MemorySegment segment() {
        if (placement != Placement.HOST) {
            throw new IllegalStateException("tensor " + this + " lives on the device; copy it to the host first");
        }
        return segment;
    }

    /** The device address of a device tensor. */
    public long deviceAddress() {
        if (placement != Placement.DEVICE) {
            throw new IllegalStateException("tensor " + this + " lives on the host");
        }
        return deviceAddress;
    }

    /**
     * This tensor with a {@link DerivedCache} attached: the same memory, and backends may keep data derived from its
     * values there, which its writers invalidate with {@link DerivedCache#bump()}. Views of the result
     * ({@link #reshape}, {@link #rows}) carry no cache.
     */
    public Tensor withCache(DerivedCache derived) {
        return new Tensor(dtype, shape, segment, placement, deviceAddress, derived);
    }

    /** The cache of data derived from this tensor's values, or null (most tensors, and every view). */
    public DerivedCache cache() {
        return cache;
    }

    /** The same elements under another shape with the same element count. */
    public Tensor reshape(long... newShape) {
        if (Shape.count(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + this + " to " + Shape.toString(newShape));
        }
        return new Tensor(dtype, newShape, segment, placement, deviceAddress);
    }

    /** Rows {@code [from, to)} along the first dimension, sharing memory. */
    public Tensor rows(long from, long to) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("rows() on a scalar tensor");
        }
        if (from < 0 || to < from || to > shape[0]) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of " + this);
        }
        long[] s = shape.clone();
        s[0] = to - from;
        long rowElems = shape[0] == 0 ? 0 : size / shape[0];
        long byteOff = from * rowElems * dtype.bytes();
        long bytes = (to - from) * rowElems * dtype.bytes();
        if (placement == Placement.HOST) {
            return new Tensor(dtype, s, segment.asSlice(byteOff, bytes), placement, 0L);
        }
        return new Tensor(dtype, s, MemorySegment.NULL, placement, deviceAddress + byteOff);
    }

    /** Checks this tensor's type and shape; the message names {@code what}. */
    public Tensor require(String what, DType type, long... expected) {
        if (dtype != type || !Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + ": expected " + type + " " + Shape.toString(expected) + ", got " + this);
        }
        return this;
    }

    /** Checks this tensor's type and rank; the message names {@code what}. */
    public Tensor requireRank(String what, DType type, int rank) {
        if (dtype != type || shape.length != rank) {
            throw new IllegalArgumentException(what + ": expected a rank-" + rank + " " + type + " tensor, got " + this);
        }
        return this;
    }

    // ---- element access (host only). Bounds are checked by the segment itself. ----

    public float getFloat(long i) {
        return segment.getAtIndex(F32, i);
    }

    public void setFloat(long i, float v) {
        segment.setAtIndex(F32, i, v);
    }

    public int getInt(long i) {
        return segment.getAtIndex(I32, i);
    }

    public void setInt(long i, int v) {
        segment.setAtIndex(I32, i, v);
    }

    /** Reads any floating element as a double (f32 or f64); used by the reference backend. */
    public double get(long i) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32, i);
            case F64 -> segment.getAtIndex(F64, i);
            case I32 -> segment.getAtIndex(I32, i);
        };
    }

    /** Writes any element from a double (rounded to f32 for f32 tensors); used by the reference backend. */
    public void set(long i, double v) {
        switch (dtype) {
            case F32 -> segment.setAtIndex(F32, i, (float) v);
            case F64 -> segment.setAtIndex(F64, i, v);
            case I32 -> segment.setAtIndex(I32, i, (int) v);
        }
    }

    /** Copies all elements into a new float array (small tensors and tests only). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(size)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) get(i);
        }
        return out;
    }

    /** Copies all elements into a new double array (small tensors and tests only). */
    public double[] toDoubleArray() {
        double[] out = new double[Math.toIntExact(size)];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    /** Copies all elements into a new int array (small tensors and tests only). */
    public int[] toIntArray() {
        int[] out = new int[Math.toIntExact(size)];
        for (int i = 0; i < out.length; i++) {
            out[i] = getInt(i);
        }
        return out;
    }

    /** Fills this tensor from an array of the same length. */
    public Tensor copyFrom(float[] values) {
        checkLength(values.length);
        for (int i = 0; i < values.length; i++) {
            set(i, values[i]);
        }
        return this;
    }

    /** Fills this tensor from an array of the same length. */
    public Tensor copyFrom(double[] values) {
        checkLength(values.length);
        for (int i = 0; i < values.length; i++) {
            set(i, values[i]);
        }
        return this;
    }

    /** Fills this i32 tensor from an array of the same length. */
    public Tensor copyFrom(int[] values) {
        checkLength(values.length);
        for (int i = 0; i < values.length; i++) {
            setInt(i, values[i]);
        }
        return this;
    }

    private void checkLength(int n) {
        if (n != size) {
            throw new IllegalArgumentException("array of length " + n + " does not match " + this);
        }
    }

    @Override
    public String toString() {
        return (placement == Placement.DEVICE ? "device " : "") + dtype + Shape.toString(shape);
    }
}
