package io.din4j.predict;

import io.din4j.backend.Backend;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
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
 * the parameters are shared read-only. Inputs larger than {@code maxBatch} are scored in chunks. On a backend with
 * several host threads (the cpu backend) a batch of 32 rows or more is scored in row parts that run at once, one
 * whole forward pass per thread ({@link #partBounds}); concurrent calls then take turns at the backend's threads,
 * one call's parts at a time. Results do not depend on the split.
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

    /** One part of a call: rows {@code [from, to)} of its batch on session {@code s}. */
    @FunctionalInterface
    private interface PartBody {
        void run(Session s, int from, int to);
    }

    /**
     * Runs {@code body} on the parts {@link #partBounds} cuts {@code n} rows into, through {@link Backend#forEachPart}
     * (at once on the cpu backend's threads), and writes nothing itself: each part writes its own rows of the result.
     * The sessions the parts need — one per part running at once — are taken from the pool (or created) here, on the
     * caller, before the parts start: a part creating one on a backend thread would wait for {@code create}, which a
     * caller on another thread may hold while it waits for the backend's threads, and neither would move.
     */
    private void inParts(ConcurrentLinkedDeque<Session> pool, Session.Mode mode, int n, PartBody body) {
        int[] bounds = partBounds(n);
        int parts = bounds.length - 1;
        if (parts == 0) {
            return;
        }
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("predictor is closed");
            }
            int concurrent = Math.max(1, Math.min(parts, model.backend().concurrentParts()));
            java.util.concurrent.ConcurrentLinkedQueue<Session> taken = new java.util.concurrent.ConcurrentLinkedQueue<>();
            try {
                for (int i = 0; i < concurrent; i++) {
                    Session s = pool.pollFirst();
                    if (s == null) {
                        synchronized (create) {
                            s = model.newSession(mode, maxBatch);
                        }
                    }
                    taken.add(s);
                }
                model.backend().forEachPart(parts, i -> {
                    // At most `concurrent` parts run at once, so a session is always free here.
                    Session s = taken.poll();
                    try {
                        body.run(s, bounds[i], bounds[i + 1]);
                    } finally {
                        taken.add(s);
                    }
                });
            } finally {
                // A session whose re-planning failed beyond recovery is dropped, not handed to the next call.
                for (Session s : taken) {
                    if (s.isOpen()) {
                        pool.addFirst(s);
                    }
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
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
        inParts(inference, Session.Mode.INFERENCE, batch.size(), (s, from, to) -> {
            s.run(batch, from, to, false);
            s.probabilitiesInto(out, from);
        });
        return out;
    }

    /** Rows a part aims at when a batch is split over the backend's threads (see {@link #partBounds}). */
    static final int PART_ROWS = Integer.getInteger("din4j.partRows", 128);
    /** The fewest rows worth a part of their own. */
    static final int MIN_PART_ROWS = 16;

    /**
     * The row bounds of the parts {@code n} rows are scored in: parts of at most {@link #maxBatch} rows (a session's
     * capacity), and on a backend that runs parts at once ({@link Backend#concurrentParts()} &gt; 1, the cpu
     * backend's threads) at least one part per thread and parts of about {@link #PART_ROWS} rows, none under
     * {@link #MIN_PART_ROWS}. Each part then runs every op of the model on one thread: no hand-off between threads
     * per op, and a part's activations stay in its core's cache, where one op over the whole batch streamed
     * megabytes through L3 between ops (PLE at B = 1024). Inference is row-independent, so the probabilities do not
     * depend on the split (PredictorPartsTest).
     */
    int[] partBounds(int n) {
        int parts = (n + maxBatch - 1) / maxBatch; // 0 for an empty batch: nothing to run
        int threads = model.backend().concurrentParts();
        if (threads > 1 && n >= 2 * MIN_PART_ROWS) {
            int wanted = Math.max(threads, (n + PART_ROWS - 1) / PART_ROWS);
            parts = Math.max(parts, Math.min(wanted, n / MIN_PART_ROWS));
        }
        int[] bounds = new int[parts + 1];
        for (int i = 1; i <= parts; i++) {
            bounds[i] = (int) ((long) n * i / parts);
        }
        return bounds;
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
        inParts(this.candidates, Session.Mode.CANDIDATES, candidates.size(), (s, from, to) -> {
            s.runCandidates(user, candidates, from, to);
            s.probabilitiesInto(out, from);
        });
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
        inParts(inference, Session.Mode.INFERENCE, batch.size(), (s, from, to) -> {
            s.run(batch, from, to, false);
            float[] w = s.attentionWeights();
            int t = s.boundHistory();
            for (int b = 0; b < to - from; b++) {
                out[from + b] = Arrays.copyOfRange(w, b * t, b * t + batch.lengths()[from + b]);
            }
        });
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
                int first = from;
                int end = to;
                with(inference, Session.Mode.INFERENCE, s -> {
                    s.run(batch, first, end, false);
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
                rows[0] += to - from;
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
