package io.din4j.ffi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** Finding and opening native libraries: system libraries by soname, and libraries shipped as jar resources. */
public final class Libraries {
    private static final Linker LINKER = Linker.nativeLinker();

    private Libraries() {
    }

    /** Opens the first of {@code sonames} the dynamic loader can find (e.g. {@code libcublas.so.13}), if any. */
    public static Optional<Opened> openFirst(String... sonames) {
        for (String name : sonames) {
            try {
                return Optional.of(new Opened(name, SymbolLookup.libraryLookup(name, Arena.global())));
            } catch (IllegalArgumentException notFound) {
                // try the next name
            }
        }
        return Optional.empty();
    }

    /**
     * Opens the class path resource {@code resource}. A resource that is a file of its own (a build's classes
     * directory, or a directory put first on the class path, as {@code device-check.sh asan} does with its
     * AddressSanitizer build) is opened where it lies, so that debuggers and sanitizers find it by its path. One
     * inside a jar is extracted to a temporary file, opened, and the file removed at once: the loader has mapped it
     * by then, so nothing is left behind even when the JVM is killed. (With only {@code deleteOnExit}, which runs on
     * a normal exit alone, every test JVM killed at a timeout had left its copy in /tmp: 17 of them on one
     * development machine.) Where an open file cannot be removed (Windows), it is removed on exit instead. A library
     * from a jar is named by its resource, its copy being gone.
     *
     * @return empty when the resource is not on the class path
     */
    public static Optional<Opened> openResource(String resource, ClassLoader loader) {
        URL url = loader.getResource(resource);
        if (url == null) {
            return Optional.empty();
        }
        Path file = "file".equals(url.getProtocol()) ? fileOf(url) : null;
        if (file != null) {
            return Optional.of(new Opened(file.toString(), SymbolLookup.libraryLookup(file, Arena.global())));
        }
        try (InputStream in = url.openStream()) {
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            Path tmp = Files.createTempFile("din4j-", "-" + name);
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return Optional.of(new Opened(resource, SymbolLookup.libraryLookup(tmp, Arena.global())));
            } finally {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException stillOpen) {
                    tmp.toFile().deleteOnExit();
                }
            }
        } catch (IOException e) {
            throw new NativeError("cannot extract native library resource " + resource + ": " + e.getMessage(), e);
        }
    }

    /** The file a {@code file:} URL names, or null when it names none this file system can open. */
    private static Path fileOf(URL url) {
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** An opened library and the name it was opened by. */
    public record Opened(String name, SymbolLookup lookup) {
        /** A downcall handle for {@code symbol}; throws {@link NativeError} naming the library when it is missing. */
        public MethodHandle function(String symbol, FunctionDescriptor fd) {
            return lookup.find(symbol)
                    .map(s -> LINKER.downcallHandle(s, fd))
                    .orElseThrow(() -> new NativeError(name + ": symbol " + symbol + " not found"));
        }

        public boolean has(String symbol) {
            return lookup.find(symbol).isPresent();
        }
    }
}
