package io.din4j.tensor;

import java.util.Arrays;

/** Small helpers for shapes held as {@code long[]}. */
public final class Shape {
    private Shape() {
    }

    /** Number of elements of a shape; every dimension must be non-negative. */
    public static long count(long... shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": dimension " + i + " is negative");
            }
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    /** Human-readable form, e.g. {@code [1024, 50, 32]}. */
    public static String toString(long... shape) {
        return Arrays.toString(shape);
    }
}
