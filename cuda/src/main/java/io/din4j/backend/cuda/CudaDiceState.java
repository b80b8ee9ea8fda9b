package io.din4j.backend.cuda;

import io.din4j.backend.DiceState;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** Dice state on the device: running statistics and the batch statistics a training forward saved ({@code [2C + 1]}:
 * mean, variance, valid-row count). */
final class CudaDiceState implements DiceState {
    private final int channels;
    private final Tensor runningMean;
    private final Tensor runningVar;
    final Tensor saved;

    CudaDiceState(Kernels k, TensorArena arena, int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive, got " + channels);
        }
        this.channels = channels;
        runningMean = arena.f32(channels);
        runningVar = arena.f32(channels);
        saved = arena.f32(2L * channels + 1);
        k.fill(runningVar.deviceAddress(), channels, 1f);
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
}
