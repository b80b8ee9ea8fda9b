package io.din4j.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Optimizer settings of one parameter group.
 *
 * @param kind        adam, adagrad or sgd
 * @param lr          learning rate
 * @param beta1       Adam's first-moment decay
 * @param beta2       Adam's second-moment decay
 * @param eps         Adam/Adagrad denominator guard
 * @param initialAccumulator Adagrad's starting accumulator (TensorFlow's 0.1 keeps the first steps from being
 *                    {@code lr·sign(g)})
 * @param weightDecay plain L2 on dense parameters (SGD only; embeddings use mini-batch aware regularization)
 */
public record OptimizerSpec(Kind kind, double lr, double beta1, double beta2, double eps, double initialAccumulator,
                            double weightDecay) {
    public enum Kind {
        ADAM, ADAGRAD, SGD;

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.name().equalsIgnoreCase(s.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown optimizer '" + s + "' (expected adam, adagrad or sgd)");
        }
    }

    public OptimizerSpec {
        if (kind == null) {
            throw new IllegalArgumentException("optimizer kind must be set");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(initialAccumulator >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("initialAccumulator and weightDecay must be >= 0");
        }
    }

    public static OptimizerSpec adam(double lr) {
        return new OptimizerSpec(Kind.ADAM, lr, 0.9, 0.999, 1e-8, 0, 0);
    }

    public static OptimizerSpec adagrad(double lr) {
        return new OptimizerSpec(Kind.ADAGRAD, lr, 0.9, 0.999, 1e-8, 0.1, 0);
    }

    public static OptimizerSpec sgd(double lr) {
        return new OptimizerSpec(Kind.SGD, lr, 0.9, 0.999, 1e-8, 0, 0);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.name().toLowerCase(Locale.ROOT));
        m.put("lr", lr);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("eps", eps);
        m.put("initial_accumulator", initialAccumulator);
        m.put("weight_decay", weightDecay);
        return m;
    }
}
