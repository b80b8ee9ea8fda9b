package io.din4j.cli;

import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Architecture and optimisation flags shared by train and demo. */
final class ModelOptions {
    @Option(names = "--epochs", paramLabel = "N", defaultValue = "3", description = "Passes over the training data (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Samples per step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.001", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "adam", description = "adam, adagrad or sgd (default ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of initialisation and shuffling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--embedding-dim", defaultValue = "0", paramLabel = "D", description = "Embedding width per field (default: the model's, 32).")
    int embeddingDim;

    @Option(names = "--mlp", split = ",", paramLabel = "H", description = "Hidden widths of the output MLP (default 200,80).")
    List<Integer> mlp;

    @Option(names = "--attention", split = ",", paramLabel = "H", description = "Hidden widths of DIN's activation unit (default 80,40).")
    List<Integer> attention;

    @Option(names = "--experts", split = ",", paramLabel = "H", description = "Hidden widths of each PLE expert (default 64).")
    List<Integer> experts;

    @Option(names = "--max-history", defaultValue = "0", paramLabel = "T", description = "Keep only the most recent T behaviours (0 = all, default).")
    int maxHistory;

    @Option(names = "--min-count", defaultValue = "" + Training.DEFAULT_MIN_COUNT, paramLabel = "N", description = "Ids seen fewer than N times in the training data share the out-of-vocabulary row, in training and when the model scores (default ${DEFAULT-VALUE}; 1 = a row for every id).")
    int minCount;

    @Option(names = "--shuffle-buffer", defaultValue = "100000", paramLabel = "ROWS", description = "Rows mixed by the streaming shuffle (0 = file order; default ${DEFAULT-VALUE}).")
    int shuffleBuffer;

    @Option(names = "--shuffle-memory", defaultValue = "" + Training.DEFAULT_SHUFFLE_MIB, paramLabel = "MiB", description = "Most memory the shuffle buffer holds, in MiB of encoded rows; it holds fewer than --shuffle-buffer rows when they would not fit (default ${DEFAULT-VALUE}).")
    int shuffleMemory;

    @Option(names = "--sort-window", defaultValue = "" + Training.DEFAULT_SORT_WINDOW, paramLabel = "BATCHES", description = "Shuffled rows are sorted by history length in windows of this many batches, so each batch is padded about as far as its own rows need; the window's batches then run in random order (0 = off; default ${DEFAULT-VALUE}).")
    int sortWindow;

    @Option(names = "--mba-lambda", paramLabel = "X", defaultValue = "" + Training.DEFAULT_MBA_LAMBDA, description = "Mini-batch aware regularization (DIN eq. 4): each embedding row a batch touches decays by exp(-lr*X/n), n its count in the training data (default ${DEFAULT-VALUE}; 0 = off).")
    double mbaLambda;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "0", description = "Before the first epoch, run the step's kernels on a throwaway model while the reader fills its shuffle buffer, and for at least S seconds (default ${DEFAULT-VALUE}: only while the buffer fills).")
    double warmupSeconds;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "1", description = "With --valid: stop after N epochs without validation AUC gain and keep the best epoch's weights (default ${DEFAULT-VALUE}; 0 = train every epoch and keep the last).")
    int patience;

    Training.Settings settings(CommandSpec spec, ModelConfig.Type type) {
        Flags.atLeast(spec, "--epochs", epochs, 1);
        Flags.atLeast(spec, "--batch-size", batchSize, 1);
        Flags.atLeast(spec, "--embedding-dim", embeddingDim, 0);
        Flags.atLeast(spec, "--max-history", maxHistory, 0);
        Flags.atLeast(spec, "--min-count", minCount, 1);
        Flags.atLeast(spec, "--shuffle-buffer", shuffleBuffer, 0);
        Flags.atLeast(spec, "--patience", patience, 0);
        Flags.atLeast(spec, "--shuffle-memory", shuffleMemory, 1);
        Flags.atLeast(spec, "--sort-window", sortWindow, 0);
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw Flags.bad(spec, "--lr", lr, "a number > 0");
        }
        if (!(warmupSeconds >= 0) || warmupSeconds > 600) {
            throw Flags.bad(spec, "--warmup-seconds", warmupSeconds, "a number of seconds in [0, 600]");
        }
        if (!(mbaLambda >= 0)) {
            throw Flags.bad(spec, "--mba-lambda", mbaLambda, "a number >= 0");
        }
        OptimizerSpec.Kind opt;
        try {
            opt = OptimizerSpec.Kind.parse(optimizer);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--optimizer", optimizer, "adam, adagrad or sgd");
        }
        return new Training.Settings(type, epochs, batchSize, lr, opt, seed, embeddingDim, maxHistory, minCount, shuffleBuffer,
                (long) shuffleMemory << 20, sortWindow, mbaLambda, patience, widths(spec, "--mlp", mlp), widths(spec, "--attention", attention), widths(spec, "--experts", experts), warmupSeconds);
    }

    private static int[] widths(CommandSpec spec, String flag, List<Integer> w) {
        if (w == null) {
            return null;
        }
        for (int x : w) {
            if (x < 1) {
                throw Flags.bad(spec, flag, x, "positive layer widths");
            }
        }
        return w.stream().mapToInt(Integer::intValue).toArray();
    }

    static ModelConfig.Type type(CommandSpec spec, String flag, String name) {
        try {
            return ModelConfig.Type.parse(name);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, flag, name, ModelConfig.Type.choices());
        }
    }
}
