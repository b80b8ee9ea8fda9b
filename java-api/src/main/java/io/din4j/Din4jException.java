package io.din4j;

/**
 * The common base of din4j's own unchecked exceptions, so a caller embedding din4j can catch "any din4j failure"
 * in one clause. Subclasses: {@link io.din4j.data.DataException} (bad input data, located by file and line),
 * {@code io.din4j.backend.cuda.CudaException} (in din4j-cuda) (a CUDA call failed).
 *
 * <p>Not every din4j exception can extend it: {@link io.din4j.io.ModelFormatException} stays an
 * {@link IllegalArgumentException} and {@link io.din4j.model.PlanningException} and
 * {@link io.din4j.train.NumericalFaultException} stay {@link IllegalStateException}s, because callers already catch
 * them by those types; bad arguments are {@link IllegalArgumentException}s and I/O failures
 * {@link java.io.UncheckedIOException}s, as in the JDK.
 */
public class Din4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Din4jException(String message) {
        super(message);
    }

    public Din4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
