package io.din4j.tensor;

/** Where a tensor's elements live. Only host tensors can be read or written from Java. */
public enum Placement {
    HOST,
    DEVICE
}
