package io.din4j.train;

/**
 * A NaN or infinity in a loss, a gradient or a parameter during training. Thrown by {@link Trainer#step} before the
 * optimizer update of the failing step, with the Dice running statistics that its forward pass moved put back: the
 * model holds the parameters of the last good step, and checkpoints on disk are untouched.
 */
public final class NumericalFaultException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String tensor;
    private final long step;
    private final int epoch;

    NumericalFaultException(String tensor, String detail, long step, int epoch) {
        super(detail + " at step " + step + " (epoch " + epoch + "); lower the learning rate or check the input data");
        this.tensor = tensor;
        this.step = step;
        this.epoch = epoch;
    }

    /** The layer output, gradient or parameter where the fault was found (a stable tensor name), or a task's loss. */
    public String tensor() {
        return tensor;
    }

    /** The optimizer step (0-based, counted over the whole run) that failed. */
    public long step() {
        return step;
    }

    public int epoch() {
        return epoch;
    }
}
