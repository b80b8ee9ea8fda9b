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
 * Binding to the kernel emulator ({@code libdin4j_emu.so}, a resource of din4j-kernels): the CUDA kernels compiled
 * by g++, run on the CPU with a block's threads as fibers. Device memory is host memory; addresses are plain
 * pointers.
 */
public final class Emulator {
    /** Where din4j-kernels puts the emulator library. */
    public static final String RESOURCE = "io/din4j/kernels/linux-x86_64/libdin4j_emu.so";

    private final String path;
    private final MethodHandle launch;
    private final MethodHandle lastError;
    private final MethodHandle malloc;
    private final MethodHandle free;
    private final MethodHandle kernelNames;
    private final MethodHandle setMaxDynamicShared;
    private final MethodHandle maxSharedOptIn;

    private Emulator(Libraries.Opened lib) {
        this.path = lib.name();
        this.launch = lib.function("emuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        this.lastError = lib.function("emuLastError", FunctionDescriptor.of(ADDRESS));
        this.malloc = lib.function("emuMalloc", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        this.free = lib.function("emuFree", FunctionDescriptor.ofVoid(ADDRESS));
        this.kernelNames = lib.function("emuKernelNames", FunctionDescriptor.of(ADDRESS));
        this.setMaxDynamicShared = lib.function("emuFuncSetMaxDynamicShared", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.maxSharedOptIn = lib.function("emuMaxSharedOptIn", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class Holder {
        static final Optional<Emulator> INSTANCE = load();

        private static Optional<Emulator> load() {
            String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return Optional.empty();
            }
            return Libraries.openResource(RESOURCE, Emulator.class.getClassLoader()).map(Emulator::new);
        }
    }

    /** The emulator, or empty when its library is not on the class path (or this is not linux-x86_64). */
    public static Optional<Emulator> get() {
        return Holder.INSTANCE;
    }

    /** Where the library was loaded from: its file, or its class path resource when it came out of a jar. */
    public String path() {
        return path;
    }

    /**
     * Runs kernel {@code name} to completion, as cuLaunchKernel would (synchronously).
     *
     * @param params array of pointers, one per kernel argument, each pointing at the argument's value
     * @throws NativeError naming the kernel and configuration on an unknown kernel, a bad configuration or a
     *                     deadlock inside the kernel
     */
    public void launch(String name, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes, MemorySegment params) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) launch.invokeExact(a.allocateFrom(name), gx, gy, gz, bx, by, bz, sharedBytes, params);
            if (rc != 0) {
                throw new NativeError("emuLaunchKernel(" + name + ", grid (" + gx + "," + gy + "," + gz + "), block ("
                        + bx + "," + by + "," + bz + "), shared " + sharedBytes + " B) failed (" + rc + "): " + lastError());
            }
        } catch (NativeError e) {
            throw e;
        } catch (Throwable t) {
            throw new NativeError("emuLaunchKernel(" + name + ") failed: " + t, t);
        }
    }

    /**
     * Lets launches of kernel {@code name} use up to {@code bytes} of dynamic shared memory, as
     * {@code cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)} does; without it a launch may use 48 KiB.
     *
     * @throws NativeError for an unknown kernel or a size above {@link #maxSharedOptIn()}
     */
    public void setMaxDynamicShared(String name, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setMaxDynamicShared.invokeExact(a.allocateFrom(name), bytes);
            if (rc != 0) {
                throw new NativeError("emuFuncSetMaxDynamicShared(" + name + ", " + bytes + ") failed: " + lastError());
            }
        } catch (NativeError e) {
            throw e;
        } catch (Throwable t) {
            throw new NativeError("emuFuncSetMaxDynamicShared(" + name + ") failed: " + t, t);
        }
    }

    /** The opt-in maximum of dynamic shared memory per block the emulator mirrors (an H100/H200's 227 KiB). */
    public int maxSharedOptIn() {
        try {
            return (int) maxSharedOptIn.invokeExact();
        } catch (Throwable t) {
            throw new NativeError("emuMaxSharedOptIn failed: " + t, t);
        }
    }

    /** The last launch error's text. */
    public String lastError() {
        try {
            return ((MemorySegment) lastError.invokeExact()).reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw new NativeError("emuLastError failed: " + t, t);
        }
    }

    /** Zero-filled, 256-byte aligned memory; the address, or 0 when out of memory. */
    public long malloc(long bytes) {
        try {
            return ((MemorySegment) malloc.invokeExact(bytes)).address();
        } catch (Throwable t) {
            throw new NativeError("emuMalloc(" + bytes + ") failed: " + t, t);
        }
    }

    public void free(long address) {
        try {
            free.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new NativeError("emuFree failed: " + t, t);
        }
    }

    /** Names of every kernel in the library. */
    public java.util.List<String> kernelNames() {
        try {
            String s = ((MemorySegment) kernelNames.invokeExact()).reinterpret(1 << 16).getString(0);
            return java.util.Arrays.stream(s.split("\n")).filter(x -> !x.isEmpty()).toList();
        } catch (Throwable t) {
            throw new NativeError("emuKernelNames failed: " + t, t);
        }
    }
}
