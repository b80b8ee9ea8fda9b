package io.din4j.backend.cuda;

import io.din4j.tensor.Tensor;

/**
 * The typed argument list of one kernel launch, in the kernel's parameter order. Types must match the kernel's C
 * signature exactly: {@code ptr} for any pointer, {@code i32} for {@code int}, {@code i64} for {@code long long},
 * {@code f32} for {@code float}, {@code f64} for {@code double}.
 */
public final class KernelArgs {
    /** Argument kinds, i.e. C types. */
    public enum Kind {
        PTR, I32, I64, F32, F64
    }

    // Parallel arrays, not lists of boxed numbers: a training step builds a few hundred of these.
    private Kind[] kinds = new Kind[12];
    private long[] bits = new long[12];
    private int n;

    public static KernelArgs of() {
        return new KernelArgs();
    }

    public KernelArgs ptr(long address) {
        return add(Kind.PTR, address);
    }

    /** The device address of {@code t}, or a null pointer when {@code t} is null. */
    public KernelArgs ptr(Tensor t) {
        return add(Kind.PTR, t == null ? 0L : t.deviceAddress());
    }

    public KernelArgs i32(int v) {
        return add(Kind.I32, v);
    }

    public KernelArgs i64(long v) {
        return add(Kind.I64, v);
    }

    public KernelArgs f32(float v) {
        return add(Kind.F32, Float.floatToRawIntBits(v));
    }

    public KernelArgs f64(double v) {
        return add(Kind.F64, Double.doubleToRawLongBits(v));
    }

    private KernelArgs add(Kind k, long v) {
        if (n == kinds.length) {
            kinds = java.util.Arrays.copyOf(kinds, 2 * n);
            bits = java.util.Arrays.copyOf(bits, 2 * n);
        }
        kinds[n] = k;
        bits[n++] = v;
        return this;
    }

    /** An independent copy (what a graph recording keeps: the values as they were at the launch). */
    public KernelArgs copy() {
        KernelArgs c = new KernelArgs();
        c.kinds = java.util.Arrays.copyOf(kinds, Math.max(n, 1));
        c.bits = java.util.Arrays.copyOf(bits, Math.max(n, 1));
        c.n = n;
        return c;
    }

    public int size() {
        return n;
    }

    public Kind kind(int i) {
        return kinds[i];
    }

    /**
     * The argument's bits as the kernel reads them: the address or long for PTR/I64, the int for I32 (in the low 32
     * bits), the float's or double's raw bits for F32/F64. Devices write these into their parameter cells.
     */
    public long bits(int i) {
        return bits[i];
    }

    public Number value(int i) {
        return switch (kinds[i]) {
            case PTR, I64 -> bits[i];
            case I32 -> (int) bits[i];
            case F32 -> Float.intBitsToFloat((int) bits[i]);
            case F64 -> Double.longBitsToDouble(bits[i]);
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(kinds[i] == Kind.PTR ? "0x" + Long.toHexString(bits[i]) : value(i));
        }
        return sb.append(')').toString();
    }
}
