package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * The tensors of one local activation unit (or their gradients, with the same shapes).
 *
 * <p>For hidden layer {@code l < L}: {@code weights[l] [hidden[l], inputWidth(l)]}, {@code biases[l] [hidden[l]]},
 * {@code alphas[l] [hidden[l]]} (Dice/PReLU only, else null) and {@code dice[l]} (Dice only, else null; not part
 * of a gradient). Output layer: {@code weights[L] [1, hidden[L−1]]}, {@code biases[L] [1]}. The first layer's
 * columns are ordered as the input {@code [q, k, q − k, q ⊙ k]}, each block D wide.
 */
public record AttentionParams(Tensor[] weights, Tensor[] biases, Tensor[] alphas, DiceState[] dice) {
}
