package io.din4j.backend.cuda;

import io.din4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

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

    private final List<Kind> kinds = new ArrayList<>();
    private final List<Number> values = new ArrayList<>();

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
        return add(Kind.F32, v);
    }

    public KernelArgs f64(double v) {
        return add(Kind.F64, v);
    }

    private KernelArgs add(Kind k, Number v) {
        kinds.add(k);
        values.add(v);
        return this;
    }

    public int size() {
        return kinds.size();
    }

    public Kind kind(int i) {
        return kinds.get(i);
    }

    public Number value(int i) {
        return values.get(i);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < kinds.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(kinds.get(i) == Kind.PTR ? "0x" + Long.toHexString(values.get(i).longValue()) : values.get(i));
        }
        return sb.append(')').toString();
    }
}
