package io.din4j.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The few CUDA driver calls din4j makes outside JCuda: probing for a driver and a device (so that nothing touches
 * JCuda's natives on a machine without one) and pinned host memory ({@code cuMemAllocHost}). Calls other than
 * {@link #deviceCount()} need a context current on the calling thread.
 */
public final class CudaDriver {
    private final MethodHandle init;
    private final MethodHandle deviceGetCount;
    private final MethodHandle memAllocHost;
    private final MethodHandle memFreeHost;
    private final MethodHandle errorString;

    private CudaDriver(Libraries.Opened lib) {
        init = lib.function("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        deviceGetCount = lib.function("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        memAllocHost = lib.function("cuMemAllocHost_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        memFreeHost = lib.function("cuMemFreeHost", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        errorString = lib.function("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class Holder {
        static final Optional<CudaDriver> INSTANCE = Libraries.openFirst("libcuda.so.1", "libcuda.so").map(CudaDriver::new);
    }

    /** The driver library, or empty when libcuda cannot be opened (no NVIDIA driver). */
    public static Optional<CudaDriver> get() {
        return Holder.INSTANCE;
    }

    /** Initialises the driver and counts devices; 0 when initialisation fails (e.g. no device). */
    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            if ((int) init.invokeExact(0) != 0) {
                return 0;
            }
            MemorySegment n = a.allocate(JAVA_INT);
            return (int) deviceGetCount.invokeExact(n) == 0 ? n.get(JAVA_INT, 0) : 0;
        } catch (Throwable t) {
            return 0;
        }
    }

    /** Page-locked host memory of {@code bytes} bytes (fast, asynchronous-capable copies); free with {@link #freeHost}. */
    public MemorySegment allocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int rc = (int) memAllocHost.invokeExact(out, bytes);
            if (rc != 0) {
                throw new NativeError("cuMemAllocHost(" + bytes + " bytes) failed: " + describe(rc));
            }
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (NativeError e) {
            throw e;
        } catch (Throwable t) {
            throw new NativeError("cuMemAllocHost failed: " + t, t);
        }
    }

    public void freeHost(MemorySegment pinned) {
        try {
            int rc = (int) memFreeHost.invokeExact(pinned);
            if (rc != 0) {
                throw new NativeError("cuMemFreeHost failed: " + describe(rc));
            }
        } catch (NativeError e) {
            throw e;
        } catch (Throwable t) {
            throw new NativeError("cuMemFreeHost failed: " + t, t);
        }
    }

    /** "CUDA_ERROR_xxx (code): text" for a driver status code. */
    public String describe(int rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if ((int) errorString.invokeExact(rc, out) == 0) {
                return "error " + rc + ": " + out.get(ADDRESS, 0).reinterpret(512).getString(0);
            }
        } catch (Throwable ignored) {
            // fall through
        }
        return "error " + rc;
    }
}
