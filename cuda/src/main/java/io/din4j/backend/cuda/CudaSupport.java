package io.din4j.backend.cuda;

import io.din4j.ffi.CudaDriver;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Whether a real GPU can run din4j's kernels here, and why not. Probes without touching JCuda's natives, so that a
 * machine without a driver never fails at class-load time: the driver library through Panama first, then the
 * fatbin resource.
 */
public final class CudaSupport {
    /** Where din4j-kernels puts the fatbin (absent when it was built without nvcc). */
    public static final String FATBIN_RESOURCE = "io/din4j/kernels/din4j.fatbin";

    private CudaSupport() {
    }

    private static final class Holder {
        static final String REASON = probe();
    }

    /** Empty when a GPU, its driver and the kernels are all present; else the reason the cuda backend cannot run. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Holder.REASON);
    }

    public static boolean gpuAvailable() {
        return Holder.REASON == null;
    }

    private static String probe() {
        if (Boolean.getBoolean("din4j.cuda.disable")) {
            return "disabled by -Ddin4j.cuda.disable=true";
        }
        Optional<CudaDriver> driver;
        try {
            driver = CudaDriver.get();
        } catch (RuntimeException | LinkageError e) {
            return "cannot open the CUDA driver library: " + e.getMessage();
        }
        if (driver.isEmpty()) {
            return "no NVIDIA driver (libcuda.so.1 not found)";
        }
        if (driver.get().deviceCount() <= 0) {
            return "the NVIDIA driver reports no CUDA device";
        }
        if (fatbin().isEmpty()) {
            return "kernels not built: din4j-kernels was built without nvcc (no " + FATBIN_RESOURCE + " on the class path)";
        }
        try {
            Class.forName("jcuda.driver.JCudaDriver", false, CudaSupport.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return "JCuda is not on the class path (org.jcuda:jcuda)";
        }
        return null;
    }

    /** The fatbin's bytes, if the kernels were built with nvcc. */
    static Optional<byte[]> fatbin() {
        try (InputStream in = CudaSupport.class.getClassLoader().getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
