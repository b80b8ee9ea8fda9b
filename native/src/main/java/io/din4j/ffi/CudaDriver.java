package io.din4j.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
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
    private final MethodHandle memcpyHtoD;
    private final MethodHandle memcpyDtoD;
    private final MethodHandle memAlloc;
    private final MethodHandle memFree;
    private final MethodHandle memsetD8;
    private final MethodHandle memGetInfo;
    private final MethodHandle memcpyDtoH;
    private final MethodHandle memcpyHtoDAsync;
    private final MethodHandle memcpyDtoDAsync;

    private CudaDriver(Libraries.Opened lib) {
        init = lib.function("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        deviceGetCount = lib.function("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        memAllocHost = lib.function("cuMemAllocHost_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        memFreeHost = lib.function("cuMemFreeHost", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        errorString = lib.function("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        memcpyHtoD = lib.function("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        memcpyDtoD = lib.function("cuMemcpyDtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        memAlloc = lib.function("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        memFree = lib.function("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        memsetD8 = lib.function("cuMemsetD8_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG));
        memGetInfo = lib.function("cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        memcpyDtoH = lib.function("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        memcpyHtoDAsync = lib.function("cuMemcpyHtoDAsync_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
        memcpyDtoDAsync = lib.function("cuMemcpyDtoDAsync_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
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

    /**
     * Synchronous copy of {@code bytes} bytes from host memory (any native segment, pinned or not) to device
     * address {@code dst}; returns the driver status (0 = success).
     */
    public int copyToDevice(MemorySegment src, long dst, long bytes) {
        try {
            return (int) memcpyHtoD.invokeExact(dst, src, bytes);
        } catch (Throwable t) {
            throw new NativeError("cuMemcpyHtoD failed: " + t, t);
        }
    }

    /**
     * Asynchronous copy of {@code bytes} bytes from page-locked host memory ({@link #allocHost}) to device address
     * {@code dst}, ordered on {@code stream} (a raw CUstream handle, 0 for the legacy default stream); returns the
     * driver status. The source must stay unchanged until the copy has run (the caller's synchronisation).
     */
    public int copyToDeviceAsync(MemorySegment pinnedSrc, long dst, long bytes, long stream) {
        try {
            return (int) memcpyHtoDAsync.invokeExact(dst, pinnedSrc, bytes, stream);
        } catch (Throwable t) {
            throw new NativeError("cuMemcpyHtoDAsync failed: " + t, t);
        }
    }

    /** Synchronous copy from device address {@code src} into host memory; returns the driver status. */
    public int copyToHost(long src, MemorySegment dst, long bytes) {
        try {
            return (int) memcpyDtoH.invokeExact(dst, src, bytes);
        } catch (Throwable t) {
            throw new NativeError("cuMemcpyDtoH failed: " + t, t);
        }
    }

    /** Device-to-device copy; returns the driver status. */
    public int copyOnDevice(long src, long dst, long bytes) {
        try {
            return (int) memcpyDtoD.invokeExact(dst, src, bytes);
        } catch (Throwable t) {
            throw new NativeError("cuMemcpyDtoD failed: " + t, t);
        }
    }

    /**
     * Device-to-device copy ordered on {@code stream} (a raw CUstream handle): the form a stream capture records as
     * a copy node; returns the driver status.
     */
    public int copyOnDeviceAsync(long src, long dst, long bytes, long stream) {
        try {
            return (int) memcpyDtoDAsync.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw new NativeError("cuMemcpyDtoDAsync failed: " + t, t);
        }
    }

    /**
     * Allocates device memory in the current context.
     *
     * @return {@code {status, address}}
     */
    public long[] alloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int rc = (int) memAlloc.invokeExact(out, bytes);
            return new long[] {rc, rc == 0 ? out.get(JAVA_LONG, 0) : 0L};
        } catch (Throwable t) {
            throw new NativeError("cuMemAlloc failed: " + t, t);
        }
    }

    /** Frees device memory; returns the driver status. */
    public int free(long address) {
        try {
            return (int) memFree.invokeExact(address);
        } catch (Throwable t) {
            throw new NativeError("cuMemFree failed: " + t, t);
        }
    }

    /** Sets {@code bytes} bytes at {@code dst} to {@code value}; returns the driver status. */
    public int memset(long dst, byte value, long bytes) {
        try {
            return (int) memsetD8.invokeExact(dst, value, bytes);
        } catch (Throwable t) {
            throw new NativeError("cuMemsetD8 failed: " + t, t);
        }
    }

    /** {@code {free, total}} device memory of the current context, in bytes. */
    public long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG);
            MemorySegment t = a.allocate(JAVA_LONG);
            int rc = (int) memGetInfo.invokeExact(f, t);
            return rc == 0 ? new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)} : new long[] {-1, -1};
        } catch (Throwable t) {
            throw new NativeError("cuMemGetInfo failed: " + t, t);
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
