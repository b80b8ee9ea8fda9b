package io.din4j.backend.cuda;

/** A CUDA grid or block shape. */
public record Dim3(int x, int y, int z) {
    public Dim3 {
        if (x <= 0 || y <= 0 || z <= 0) {
            throw new IllegalArgumentException("grid/block dimensions must be positive, got (" + x + ", " + y + ", " + z + ")");
        }
    }

    public static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }

    public static Dim3 of(int x, int y) {
        return new Dim3(x, y, 1);
    }

    @Override
    public String toString() {
        return "(" + x + "," + y + "," + z + ")";
    }
}
