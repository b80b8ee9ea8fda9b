package io.din4j.graph;

import io.din4j.backend.SparseGrad;
import io.din4j.tensor.Tensor;

/**
 * A named model tensor. Names are stable (they are the tensor names of weights.safetensors, documented in
 * docs/model-format.md); the kind decides how a trainer treats the tensor.
 */
public final class Param {
    /** How a parameter is trained. */
    public enum Kind {
        /** An embedding table {@code [V, D]}: sparse row gradients, row-wise optimizer, mini-batch aware L2. */
        EMBEDDING,
        /** A dense weight, bias or activation slope: a dense gradient of the same shape. */
        DENSE,
        /** Saved with the model but not trained by gradients (Dice running statistics). */
        STATE
    }

    private final String name;
    private final Kind kind;
    private final Tensor value;
    private final Tensor frequency;
    Tensor grad;
    SparseGrad sparseGrad;

    Param(String name, Kind kind, Tensor value, Tensor frequency) {
        this.name = name;
        this.kind = kind;
        this.value = value;
        this.frequency = frequency;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** The values (on the backend). */
    public Tensor value() {
        return value;
    }

    /** For an embedding table, {@code [V]} occurrences of each row in the training data (n_j), else null. */
    public Tensor frequency() {
        return frequency;
    }

    /** The dense gradient of the training graph (DENSE only), or null before a training graph exists. */
    public Tensor grad() {
        return grad;
    }

    /** The sparse gradient of the training graph (EMBEDDING only), or null. */
    public SparseGrad sparseGrad() {
        return sparseGrad;
    }

    public boolean trainable() {
        return kind != Kind.STATE;
    }

    @Override
    public String toString() {
        return name + " " + value;
    }
}
