package io.din4j.tensor;

/**
 * Element types of a tensor. Values are f32 everywhere on the fast paths; f64 exists so that the reference
 * backend can run the same ops in double precision for finite-difference gradient checks.
 */
public enum DType {
    F32(4),
    F64(8),
    I32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** True for the floating-point types. */
    public boolean isFloating() {
        return this != I32;
    }
}
