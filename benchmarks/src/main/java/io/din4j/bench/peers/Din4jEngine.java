package io.din4j.bench.peers;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.Map;

/**
 * din4j on the cpu backend: inference through {@link Predictor#predict}, the serving case through
 * {@link Predictor#scoreCandidates} (the user's side computed once), a training step through {@link Trainer#step}
 * (forward, backward, lazy Adam on the touched embedding rows, Adam on the dense tensors; mini-batch aware
 * regularization off, as on the PyTorch side).
 */
final class Din4jEngine implements PeerWorker.Engine {
    static final int MAX_BATCH = 1024;
    private final PeerWorker.Cache<CpuBackend> backends = new PeerWorker.Cache<>();
    private final PeerWorker.Cache<Predictor> predictors = new PeerWorker.Cache<>();
    private final PeerWorker.Cache<Trainer> trainers = new PeerWorker.Cache<>();

    @Override
    public float[] predict(Map<String, Object> req) throws Exception {
        Predictor p = predictor(req);
        return p.predict(BenchModels.random(p.schema(), p.model().vocabSizes(), PeerWorker.integer(req, "batch"),
                PeerWorker.integer(req, "hist"), false, 11))[0];
    }

    private Predictor predictor(Map<String, Object> req) throws Exception {
        String dir = PeerWorker.string(req, "model_dir");
        int threads = PeerWorker.integer(req, "threads");
        CpuBackend cpu = backends.get(String.valueOf(threads), () -> new CpuBackend(threads));
        return predictors.get(dir + "@" + threads, () -> Predictor.of(ModelFiles.load(Path.of(dir), cpu, MAX_BATCH), MAX_BATCH));
    }

    @Override
    public Runnable prepare(Map<String, Object> req) throws Exception {
        String dir = PeerWorker.string(req, "model_dir");
        int threads = PeerWorker.integer(req, "threads");
        int rows = PeerWorker.integer(req, "batch");
        int hist = PeerWorker.integer(req, "hist");
        String mode = PeerWorker.string(req, "mode");
        CpuBackend cpu = backends.get(String.valueOf(threads), () -> new CpuBackend(threads));
        String key = dir + "@" + threads;
        switch (mode) {
            case "infer", "serving" -> {
                Predictor p = predictor(req);
                Model m = p.model();
                int[] vocab = m.vocabSizes();
                if (mode.equals("infer")) {
                    Batch b = BenchModels.random(m.schema(), vocab, rows, hist, false, 11);
                    return () -> p.predict(b);
                }
                Batch user = BenchModels.random(m.schema(), vocab, 1, hist, false, 12);
                Batch candidates = BenchModels.random(m.schema(), vocab, rows, 0, false, 13);
                return () -> p.scoreCandidates(user, candidates);
            }
            case "train" -> {
                Trainer t = trainers.get(key, () -> new Trainer(ModelFiles.load(Path.of(dir), cpu, MAX_BATCH),
                        TrainConfig.builder().optimizer(OptimizerSpec.adam(1e-3)).mbaLambda(0).build()));
                Batch b = BenchModels.random(t.model().schema(), t.model().vocabSizes(), rows, hist, false, 14);
                return () -> t.step(b, 0);
            }
            default -> throw new IllegalArgumentException("unknown mode '" + mode + "' (infer, train, serving)");
        }
    }
}
