package io.din4j.cli;

/** A mistake the user can fix (a bad flag value, a missing or foreign file), printed as one line without a stack trace. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message);
    }

    UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
