package io.din4j.backend.cuda;

/** A device error (out of memory, launch failure, kernel fault); the message names the kernel or call and sizes. */
public final class CudaException extends io.din4j.Din4jException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
