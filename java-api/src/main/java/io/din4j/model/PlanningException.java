package io.din4j.model;

/**
 * A session or a model could not be planned on its backend — in practice host or device memory ran out. The message
 * names the request (rows, history length, bytes planned, the backend's own error) and suggests a smaller batch;
 * whatever was allocated for the request has been freed, so the process can go on with a smaller batch or on another
 * backend (e.g. the cpu backend after a device out-of-memory).
 */
public final class PlanningException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public PlanningException(String message, Throwable cause) {
        super(message, cause);
    }
}
