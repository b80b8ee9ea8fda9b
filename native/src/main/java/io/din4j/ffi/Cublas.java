package io.din4j.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Panama binding to cuBLAS, opened from whichever {@code libcublas.so.N} is installed (13, then 12). JCublas 12.x
 * binds {@code libcublas.so.12} only and cannot load where CUDA 13 alone is installed; this binding needs no
 * particular version. Only SGEMM (plain and strided-batched) is bound, with row-major wrappers.
 *
 * <p>cuBLAS uses the CUDA context current on the calling thread: create the handle after the device's context is
 * current, on the thread that will use it.
 */
public final class Cublas {
    private static final int OP_N = 0;
    private static final int OP_T = 1;
    /** CUBLAS_TF32_TENSOR_OP_MATH. */
    public static final int MATH_TF32 = 3;
    /** CUBLAS_DEFAULT_MATH. */
    public static final int MATH_DEFAULT = 0;

    private final String library;
    private final MethodHandle create;
    private final MethodHandle destroy;
    private final MethodHandle setStream;
    private final MethodHandle setMathMode;
    private final MethodHandle sgemm;
    private final MethodHandle statusString;

    private Cublas(Libraries.Opened lib) {
        library = lib.name();
        create = lib.function("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.function("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = lib.function("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        setMathMode = lib.function("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        sgemm = lib.function("cublasSgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        statusString = lib.has("cublasGetStatusString")
                ? lib.function("cublasGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT)) : null;
    }

    /** System property naming the cuBLAS library to open (a path or soname); {@code DIN4J_CUBLAS} likewise. */
    public static final String PROPERTY = "din4j.cublas";

    private static final String[] SEARCH = {"libcublas.so.13", "libcublas.so.12", "libcublas.so",
            "/usr/local/cuda/lib64/libcublas.so.13", "/usr/local/cuda/lib64/libcublas.so.12"};

    private static final class Holder {
        static final Optional<Cublas> INSTANCE = load();

        private static Optional<Cublas> load() {
            try {
                return Optional.of(open(configured()));
            } catch (NativeError e) {
                return Optional.empty();
            }
        }
    }

    /** The library named by {@code -Ddin4j.cublas} or {@code DIN4J_CUBLAS}, or null to search the usual names. */
    public static String configured() {
        String explicit = System.getProperty(PROPERTY, System.getenv("DIN4J_CUBLAS"));
        return explicit == null || explicit.isBlank() ? null : explicit;
    }

    /**
     * Opens cuBLAS: {@code explicit} (a path or soname) when not null; else the sonames through the dynamic loader
     * (LD_LIBRARY_PATH, ld.so.cache), then the CUDA toolkit's usual folder.
     *
     * @throws NativeError saying what was tried, when no library opens or one lacks a symbol din4j binds
     */
    public static Cublas open(String explicit) {
        String[] names = explicit != null ? new String[] {explicit} : SEARCH;
        return Libraries.openFirst(names).map(Cublas::new).orElseThrow(() -> new NativeError(
                "no cuBLAS library found (tried " + String.join(", ", names) + ")"));
    }

    /** cuBLAS as configured ({@link #configured()}), opened once; empty when it cannot be opened. */
    public static Optional<Cublas> get() {
        return Holder.INSTANCE;
    }

    /** The soname cuBLAS was opened by. */
    public String library() {
        return library;
    }

    /** A cuBLAS handle bound to the current context; close it on the same thread. */
    public Handle create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check("cublasCreate_v2", (int) create.invokeExact(out));
            return new Handle(out.get(ADDRESS, 0));
        } catch (NativeError e) {
            throw e;
        } catch (Throwable t) {
            throw new NativeError("cublasCreate_v2 failed: " + t, t);
        }
    }

    private void check(String fn, int status) {
        if (status != 0) {
            String text = "";
            if (statusString != null) {
                try {
                    text = ": " + ((MemorySegment) statusString.invokeExact(status)).reinterpret(256).getString(0);
                } catch (Throwable ignored) {
                    // keep the code only
                }
            }
            throw new NativeError(fn + " (" + library + ") returned status " + status + text);
        }
    }

    /** One cuBLAS handle. Not thread-safe. */
    public final class Handle implements AutoCloseable {
        private MemorySegment handle;

        private Handle(MemorySegment handle) {
            this.handle = handle;
        }

        public void setStream(long stream) {
            try {
                check("cublasSetStream_v2", (int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)));
            } catch (NativeError e) {
                throw e;
            } catch (Throwable t) {
                throw new NativeError("cublasSetStream_v2 failed: " + t, t);
            }
        }

        /** {@link #MATH_DEFAULT} (full f32) or {@link #MATH_TF32}. */
        public void setMathMode(int mode) {
            try {
                check("cublasSetMathMode", (int) setMathMode.invokeExact(handle, mode));
            } catch (NativeError e) {
                throw e;
            } catch (Throwable t) {
                throw new NativeError("cublasSetMathMode failed: " + t, t);
            }
        }

        /**
         * Row-major {@code C[M, N] = alpha·op(A)·op(B) + beta·C} on device pointers (A read as [K, M] when
         * {@code transA}, B as [N, K] when {@code transB}). cuBLAS is column-major, so this computes
         * {@code Cᵀ = op(B)ᵀ·op(A)ᵀ} with the operands swapped.
         */
        public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                          long b, int ldb, float beta, long c, int ldc) {
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha);
                MemorySegment be = ar.allocateFrom(JAVA_FLOAT, beta);
                int st = (int) sgemm.invokeExact(handle, transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k, al,
                        MemorySegment.ofAddress(b), ldb, MemorySegment.ofAddress(a), lda, be, MemorySegment.ofAddress(c), ldc);
                if (st != 0) {
                    check("cublasSgemm_v2 (M=" + m + ", N=" + n + ", K=" + k + ")", st);
                }
            } catch (NativeError e) {
                throw e;
            } catch (Throwable t) {
                throw new NativeError("cublasSgemm_v2 failed: " + t, t);
            }
        }

        /** Destroys the handle. Idempotent. */
        @Override
        public void close() {
            if (handle != null) {
                MemorySegment h = handle;
                handle = null;
                try {
                    check("cublasDestroy_v2", (int) destroy.invokeExact(h));
                } catch (NativeError e) {
                    throw e;
                } catch (Throwable t) {
                    throw new NativeError("cublasDestroy_v2 failed: " + t, t);
                }
            }
        }
    }
}
