package io.din4j.ffi;

/** A native library call failed: the message names the function, the status code and the library's own text. */
public final class NativeError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeError(String message) {
        super(message);
    }

    public NativeError(String message, Throwable cause) {
        super(message, cause);
    }
}
