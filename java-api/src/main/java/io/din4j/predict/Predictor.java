package io.din4j.predict;

import io.din4j.backend.Backend;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.Vocabularies;
import io.din4j.data.Vocabulary;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * Scores with a trained model from any number of threads. Each call borrows an inference session (a graph planned
 * for {@code maxBatch} rows) from a pool, creating one when none is free, so concurrent calls never share buffers;
 * the parameters are shared read-only. Inputs larger than {@code maxBatch} are scored in chunks.
 *
 * <p>{@link #scoreCandidates} scores many candidates for one user and computes the user's side once: the USER
 * field embeddings and the behaviour lookups (and the pooled history for sum-pooling models) run on one row and are
 * copied to the candidates, so per-candidate work is the attention unit (with the candidate folded into its first
 * layer on the cpu backend), the output MLP or experts.
 *
 * <p>Inputs come two ways. {@link #request()} builds a row keyed by column name with raw ids, and
 * {@link #score(List)} / {@link #scoreCandidates(Request, List)} map it exactly as {@code din4j predict} maps a CSV
 * row: the model's vocabularies and its trained history limit. {@link #predict(Batch)} takes a {@link Batch} of
 * already mapped rows; {@link #batchBuilder()} makes those from positional {@link Row}s the same way.
 */
public final class Predictor implements AutoCloseable {
    /** Rows per planned session when not given. */
    public static final int DEFAULT_MAX_BATCH = 1024;

    private final Model model;
    private final boolean ownsModel;
    private final int maxBatch;
    private final int historyLimit;
    private volatile BatchBuilder builder;
    private final ConcurrentLinkedDeque<Session> inference = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Session> candidates = new ConcurrentLinkedDeque<>();
    private final Object create = new Object();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private Predictor(Model model, boolean ownsModel, int maxBatch, int historyLimit) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        }
        if (historyLimit < 0) {
            throw new IllegalArgumentException("historyLimit must be >= 0 (0: no limit), got " + historyLimit);
        }
        this.model = model;
        this.ownsModel = ownsModel;
        this.maxBatch = maxBatch;
        this.historyLimit = historyLimit;
    }

    /** Loads a model directory ({@link ModelFiles}) onto {@code backend}. */
    public static Predictor load(Path dir, Backend backend) {
        return load(dir, backend, DEFAULT_MAX_BATCH);
    }

    /** Loads a model directory onto {@code backend}, with sessions planned for {@code maxBatch} rows. */
    public static Predictor load(Path dir, Backend backend, int maxBatch) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        }
        ModelFiles.Loaded m = ModelFiles.loadWithInfo(dir, backend, maxBatch);
        try {
            return new Predictor(m.model(), true, maxBatch, m.info().historyLimit());
        } catch (RuntimeException e) {
            m.model().close();
            throw e;
        }
    }

    /**
     * Serves an in-memory model (not closed by {@link #close()}) keeping whole histories; do not train it while
     * serving.
     */
    public static Predictor of(Model model, int maxBatch) {
        return new Predictor(model, false, maxBatch, 0);
    }

    /**
     * Serves an in-memory model that was trained on histories cut to their {@code historyLimit} most recent
     * behaviours (0: no limit); requests are cut the same way.
     */
    public static Predictor of(Model model, int maxBatch, int historyLimit) {
        return new Predictor(model, false, maxBatch, historyLimit);
    }

    public Model model() {
        return model;
    }

    public ModelConfig config() {
        return model.config();
    }

    public FeatureSchema schema() {
        return model.schema();
    }

    /** Vocabularies by sparse field name (to map raw ids to rows), or null when the model was saved without them. */
    public Map<String, Vocabulary> vocabularies() {
        return model.vocabularies();
    }

    public List<String> tasks() {
        return model.schema().tasks();
    }

    /**
     * The most recent behaviours of a history the model reads, or 0 for all: the limit it was trained with
     * (model.json {@code training.data.max_history}, see {@link ModelFiles.Info#historyLimit()}), which
     * {@code din4j predict} applies too.
     */
    public int historyLimit() {
        return historyLimit;
    }

    /** A new, empty request for this model: set its raw ids by column name, then score it. */
    public Request request() {
        return new Request(this);
    }

    /**
     * Maps positional rows (raw ids in schema order, as the CSV readers produce) to batches with the model's
     * vocabularies and {@link #historyLimit()}: what {@link #score(List)} does to requests.
     *
     * @throws IllegalStateException when the model was saved without vocabularies
     */
    public BatchBuilder batchBuilder() {
        BatchBuilder b = builder;
        if (b == null) {
            b = batchBuilder(historyLimit);
            builder = b;
        }
        return b;
    }

    /** {@link #batchBuilder()} with another history limit (0: keep every behaviour). */
    public BatchBuilder batchBuilder(int historyLimit) {
        Map<String, Vocabulary> v = model.vocabularies();
        if (v == null) {
            throw new IllegalStateException("the model was saved without vocabularies, so raw ids cannot be mapped");
        }
        return new BatchBuilder(Vocabularies.of(model.schema(), v), historyLimit);
    }

    /** Per-task probabilities {@code [K][requests.size()]} of {@code requests}, in order. */
    public float[][] score(List<Request> requests) {
        if (requests.isEmpty()) {
            return new float[tasks().size()][0];
        }
        return predict(batchBuilder().build(rows(requests, "requests")));
    }

    /**
     * Scores {@code candidates} for one user: the USER fields and histories come from {@code user}, every other
     * field from each candidate (their histories and USER fields are not read). Equal to {@link #score(List)} of
     * the merged rows, with the user's side computed once.
     *
     * @return {@code [K][candidates.size()]}
     */
    public float[][] scoreCandidates(Request user, List<Request> candidates) {
        if (candidates.isEmpty()) {
            return new float[tasks().size()][0];
        }
        BatchBuilder b = batchBuilder();
        return scoreCandidates(b.build(rows(List.of(user), "user")), b.build(rows(candidates, "candidates")));
    }

    private List<Row> rows(List<Request> requests, String what) {
        List<Row> rows = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            // A request holds positions in its schema, so it may only go to a model with the same columns.
            if (r.predictor() != this && !r.predictor().schema().equals(schema())) {
                throw new IllegalArgumentException(what + "[" + i + "] was made for a model with other columns (use this predictor's request())");
            }
            rows.add(r.toRow());
        }
        return rows;
    }

    private <R> R with(ConcurrentLinkedDeque<Session> pool, Session.Mode mode, Function<Session, R> f) {
        // Calls hold the read lock and close() the write lock, so closing waits for in-flight calls instead of
        // freeing buffers under them.
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("predictor is closed");
            }
            Session s = pool.pollFirst();
            if (s == null) {
                synchronized (create) {
                    s = model.newSession(mode, maxBatch);
                }
            }
            try {
                return f.apply(s);
            } finally {
                // A session whose re-planning failed beyond recovery is dropped, not handed to the next call.
                if (s.isOpen()) {
                    pool.addFirst(s);
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Per-task click probabilities {@code [K][B]} for every row of {@code batch}. */
    public float[][] predict(Batch batch) {
        int k = tasks().size();
        float[][] out = new float[k][batch.size()];
        for (int from = 0; from < batch.size(); from += maxBatch) {
            int to = Math.min(batch.size(), from + maxBatch);
            Batch part = from == 0 && to == batch.size() ? batch : Batches.slice(batch, from, to);
            int at = from;
            with(inference, Session.Mode.INFERENCE, s -> {
                s.run(part, false);
                float[][] p = s.probabilities();
                for (int t = 0; t < k; t++) {
                    System.arraycopy(p[t], 0, out[t], at, p[t].length);
                }
                return null;
            });
        }
        return out;
    }

    /** Probabilities of one task. */
    public float[] predict(Batch batch, String task) {
        int t = tasks().indexOf(task);
        if (t < 0) {
            throw new IllegalArgumentException("unknown task '" + task + "' (tasks: " + tasks() + ")");
        }
        return predict(batch)[t];
    }

    /**
     * Scores {@code candidates} for the single user of {@code user}: USER fields and behaviour sequences come from
     * {@code user} (one row), every other sparse field and the dense features from {@code candidates}.
     *
     * @return {@code [K][candidates.size()]}
     */
    public float[][] scoreCandidates(Batch user, Batch candidates) {
        int k = tasks().size();
        float[][] out = new float[k][candidates.size()];
        for (int from = 0; from < candidates.size(); from += maxBatch) {
            int to = Math.min(candidates.size(), from + maxBatch);
            Batch part = from == 0 && to == candidates.size() ? candidates : Batches.slice(candidates, from, to);
            int at = from;
            with(this.candidates, Session.Mode.CANDIDATES, s -> {
                s.runCandidates(user, part);
                float[][] p = s.probabilities();
                for (int t = 0; t < k; t++) {
                    System.arraycopy(p[t], 0, out[t], at, p[t].length);
                }
                return null;
            });
        }
        return out;
    }

    /**
     * DIN's attention weight of each behaviour of each sample ({@code [B][length_b]}, oldest behaviour first), or
     * null when the model has no attention.
     */
    public float[][] attention(Batch batch) {
        if (!model.config().type().usesAttention()) {
            return null;
        }
        float[][] out = new float[batch.size()][];
        for (int from = 0; from < batch.size(); from += maxBatch) {
            int to = Math.min(batch.size(), from + maxBatch);
            Batch part = from == 0 && to == batch.size() ? batch : Batches.slice(batch, from, to);
            int at = from;
            with(inference, Session.Mode.INFERENCE, s -> {
                s.run(part, false);
                float[] w = s.attentionWeights();
                int t = s.boundHistory();
                for (int b = 0; b < part.size(); b++) {
                    out[at + b] = Arrays.copyOfRange(w, b * t, b * t + part.lengths()[b]);
                }
                return null;
            });
        }
        return out;
    }

    /**
     * Mean gate probability of each expert over the rows of {@code data}, per gate ({@code <task>@<level>},
     * {@code shared@<level>}): how much each task uses each expert. Empty for models without gates.
     */
    public Map<String, double[]> gateUsage(Iterable<Batch> data) {
        Map<String, double[]> sums = new LinkedHashMap<>();
        long[] rows = new long[1];
        for (Batch batch : data) {
            for (int from = 0; from < batch.size(); from += maxBatch) {
                int to = Math.min(batch.size(), from + maxBatch);
                Batch part = from == 0 && to == batch.size() ? batch : Batches.slice(batch, from, to);
                with(inference, Session.Mode.INFERENCE, s -> {
                    s.run(part, false);
                    for (String key : s.gateKeys()) {
                        int e = s.gateWidth(key);
                        double[] acc = sums.computeIfAbsent(key, x -> new double[e]);
                        float[] p = s.gateProbabilities(key);
                        for (int i = 0; i < p.length; i++) {
                            acc[i % e] += p[i];
                        }
                    }
                    return null;
                });
                rows[0] += part.size();
            }
        }
        sums.values().forEach(a -> {
            for (int i = 0; i < a.length; i++) {
                a[i] /= Math.max(1, rows[0]);
            }
        });
        return sums;
    }

    /**
     * Waits for calls in flight, then closes the pooled sessions (and the model when loaded by this predictor).
     * Idempotent; every later call throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Session s;
            while ((s = inference.pollFirst()) != null) {
                s.close();
            }
            while ((s = candidates.pollFirst()) != null) {
                s.close();
            }
            if (ownsModel) {
                model.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
