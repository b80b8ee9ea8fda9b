package io.din4j.io;

import java.nio.file.Path;

/**
 * A model file (model.json, a safetensors file) that is malformed, inconsistent, corrupt or from another model.
 * Thrown by every validation of {@link SafeTensors.Reader} and {@link ModelFiles} before any tensor memory is
 * allocated or read; the message starts with the file. An {@link IllegalArgumentException}, since the file is an
 * argument the caller handed in; genuine I/O failures (missing file, permissions) stay
 * {@link java.io.UncheckedIOException}s.
 */
public final class ModelFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ModelFormatException(Path file, String detail) {
        super(file + ": " + detail);
        this.file = file;
    }

    public ModelFormatException(Path file, String detail, Throwable cause) {
        super(file + ": " + detail, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
