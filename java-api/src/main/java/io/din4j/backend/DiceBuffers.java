package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * The {@link DiceState} of the host backends: running statistics plus the batch mean and biased variance saved by
 * the last training forward pass (the backward pass recomputes the normalised input from them rather than keeping
 * an {@code [N, C]} buffer).
 */
public final class DiceBuffers implements DiceState {
    private final int channels;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor batchMean;
    private final Tensor batchVar;
    private long savedRows = -1;

    /** Allocates the state from {@code arena} in {@code type}: running mean 0, running variance 1. */
    public DiceBuffers(TensorArena arena, DType type, int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        }
        this.channels = channels;
        this.runningMean = arena.allocate(type, channels);
        this.runningVar = arena.allocate(type, channels);
        this.batchMean = arena.allocate(type, channels);
        this.batchVar = arena.allocate(type, channels);
        for (int c = 0; c < channels; c++) {
            runningVar.set(c, 1.0);
        }
    }

    /** Checks that {@code state} is a {@link DiceBuffers} of {@code channels} channels. */
    public static DiceBuffers of(DiceState state, long channels) {
        if (!(state instanceof DiceBuffers d)) {
            throw new IllegalArgumentException("state: expected a DiceState made by this backend's newDiceState, got " + state);
        }
        if (d.channels != channels) {
            throw new IllegalArgumentException("state: has " + d.channels + " channels, x has " + channels);
        }
        return d;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public Tensor runningMean() {
        return runningMean;
    }

    @Override
    public Tensor runningVar() {
        return runningVar;
    }

    /** Batch mean {@code [C]} of the last training forward pass. */
    public Tensor batchMean() {
        return batchMean;
    }

    /** Biased batch variance {@code [C]} of the last training forward pass. */
    public Tensor batchVar() {
        return batchVar;
    }

    /** Records that a training forward pass over {@code rows} rows saved its statistics. */
    public void markSaved(long rows) {
        savedRows = rows;
    }

    /** Checks that a training forward pass over {@code rows} rows saved the statistics a backward pass needs. */
    public void requireSaved(long rows) {
        if (savedRows != rows) {
            throw new IllegalArgumentException("state: no training-mode forward pass over " + rows + " rows preceded "
                    + "this backward pass" + (savedRows < 0 ? "" : " (last one had " + savedRows + " rows)"));
        }
    }

    @Override
    public String toString() {
        return "DiceState[" + channels + "]";
    }
}
