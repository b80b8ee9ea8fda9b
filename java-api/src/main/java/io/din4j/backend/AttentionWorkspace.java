package io.din4j.backend;

/**
 * Backend-specific buffers of a local activation unit, planned once for a maximum batch and history length:
 * the intermediates a training forward pass saves for its backward pass. Opaque to callers.
 */
public interface AttentionWorkspace {
    int maxBatch();

    int maxHistory();
}
