package io.din4j.graph;

import io.din4j.tensor.Tensor;

/**
 * A named model tensor. Names are stable (they are the tensor names of weights.safetensors, documented in
 * docs/model-format.md); the kind decides how a trainer treats the tensor. Gradients are not here: each training
 * graph owns its own ({@link Graph#grad(Param)}), so parameters can be shared by several graphs.
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

    /**
     * Says that the values were written: call after every write that is not a graph op of a forward pass
     * (optimizer steps, loading, initialisation, averaging, a test's edit), so that data a backend derived from the
     * old values ({@link io.din4j.tensor.DerivedCache}) is not used again. {@link io.din4j.train.Trainer} and
     * {@link io.din4j.io.ModelFiles} do it for their own writes.
     */
    public void changed() {
        if (value.cache() != null) {
            value.cache().bump();
        }
    }

    public boolean trainable() {
        return kind != Kind.STATE;
    }

    @Override
    public String toString() {
        return name + " " + value;
    }
}
