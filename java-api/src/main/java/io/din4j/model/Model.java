package io.din4j.model;

import io.din4j.backend.Backend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import io.din4j.graph.Param;
import io.din4j.graph.ParamStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CTR model: its config, feature schema, parameters on a backend, and the sessions that run it.
 *
 * <p>{@link #forward(Batch, boolean)} and {@link #backward(double[])} drive one training (or inference) graph
 * planned for {@code maxBatch} rows; {@link #newSession} plans more (one per thread). Parameters have stable names
 * (see docs/model-format.md); {@link #parameters()} lists them in a fixed order. Not thread-safe (use
 * {@code io.din4j.predict.Predictor} to serve from many threads).
 */
public final class Model implements AutoCloseable {
    private final ModelConfig config;
    private final FeatureSchema schema;
    private final int[] vocabSizes;
    private final Map<String, Vocabulary> vocabularies;
    private final Backend backend;
    private final int maxBatch;
    private final ParamStore params;
    private final Network network;
    private Session training;
    private Session inference;
    private Session last;
    private volatile boolean closed;

    /**
     * A model with freshly initialised parameters (deterministic given {@code config.seed()}).
     *
     * @param vocabSizes rows of each sparse field's table, schema order (including the out-of-vocabulary row)
     */
    public Model(ModelConfig config, FeatureSchema schema, int[] vocabSizes, Backend backend, int maxBatch) {
        this(config, schema, vocabSizes, null, null, backend, maxBatch, Long.MAX_VALUE);
    }

    /**
     * A model whose tables are sized by {@code vocabularies} (keyed by sparse field name, one per sparse field) and
     * whose mini-batch aware regularization uses their counts; the vocabularies are saved with the model.
     */
    public static Model create(ModelConfig config, FeatureSchema schema, Map<String, Vocabulary> vocabularies,
                               Backend backend, int maxBatch) {
        int n = schema.sparse().size();
        int[] sizes = new int[n];
        long[][] counts = new long[n][];
        for (int f = 0; f < n; f++) {
            String name = schema.sparse().get(f).name();
            Vocabulary v = vocabularies.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no vocabulary for sparse field '" + name + "' (have " + vocabularies.keySet() + ")");
            }
            sizes[f] = v.size();
            counts[f] = v.counts();
        }
        return new Model(config, schema, sizes, counts, vocabularies, backend, maxBatch, Long.MAX_VALUE);
    }

    /**
     * For loaders of untrusted files: {@link #create} (or, with {@code vocabularies} null, the constructor from
     * {@code vocabSizes}) that fails with an {@link IllegalArgumentException} before allocating when the
     * architecture needs more than {@code maxParameterElements} scalars of parameters and statistics.
     */
    public static Model restore(ModelConfig config, FeatureSchema schema, int[] vocabSizes, Map<String, Vocabulary> vocabularies,
                                Backend backend, int maxBatch, long maxParameterElements) {
        long[][] counts = null;
        if (vocabularies != null) {
            counts = new long[vocabSizes.length][];
            for (int f = 0; f < vocabSizes.length && f < schema.sparse().size(); f++) {
                Vocabulary v = vocabularies.get(schema.sparse().get(f).name());
                if (v == null || v.size() != vocabSizes[f]) {
                    throw new IllegalArgumentException("vocabulary of sparse field '" + schema.sparse().get(f).name()
                            + "' does not have " + vocabSizes[f] + " rows");
                }
                counts[f] = v.counts();
            }
        }
        return new Model(config, schema, vocabSizes, counts, vocabularies, backend, maxBatch, maxParameterElements);
    }

    private Model(ModelConfig config, FeatureSchema schema, int[] vocabSizes, long[][] counts,
                  Map<String, Vocabulary> vocabularies, Backend backend, int maxBatch, long maxParameterElements) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        }
        List<String> taskNames = config.tasks().stream().map(ModelConfig.TaskSpec::name).toList();
        if (!taskNames.equals(schema.tasks())) {
            throw new IllegalArgumentException("config tasks " + taskNames + " do not match the schema's tasks " + schema.tasks());
        }
        if (vocabSizes.length != schema.sparse().size()) {
            throw new IllegalArgumentException("vocabSizes has " + vocabSizes.length + " entries for "
                    + schema.sparse().size() + " sparse fields");
        }
        this.config = config;
        this.schema = schema;
        this.vocabSizes = vocabSizes.clone();
        this.vocabularies = vocabularies == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(vocabularies));
        this.backend = backend;
        this.maxBatch = maxBatch;
        for (int f = 0; f < vocabSizes.length; f++) {
            if (vocabSizes[f] < 1) {
                throw new IllegalArgumentException("vocabSizes[" + f + "] (field '" + schema.sparse().get(f).name() + "') = "
                        + vocabSizes[f] + "; every table needs at least the out-of-vocabulary row");
            }
        }
        this.params = new ParamStore(backend, maxParameterElements);
        try {
            this.network = switch (config.type()) {
                case DIN, BASE, DIN_PLE -> new DinNetwork(config, schema, vocabSizes, counts, params);
                case PLE, CGC, MMOE, SHARED_BOTTOM -> new PleNetwork(config, schema, vocabSizes, counts, params);
            };
        } catch (IllegalArgumentException e) {
            params.close();
            throw e;
        } catch (RuntimeException e) {
            params.close();
            throw new PlanningException("cannot allocate the parameters of a " + config.type().id() + " model with tables of "
                    + java.util.Arrays.toString(vocabSizes) + " rows on the " + backend.name() + " backend: " + e.getMessage()
                    + "; the model does not fit this backend's memory (try the cpu backend)", e);
        }
    }

    public ModelConfig config() {
        return config;
    }

    public FeatureSchema schema() {
        return schema;
    }

    public Backend backend() {
        return backend;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Table rows per sparse field, schema order. */
    public int[] vocabSizes() {
        return vocabSizes.clone();
    }

    /** The vocabularies the model was built with (keyed by sparse field name), or null when built from sizes. */
    public Map<String, Vocabulary> vocabularies() {
        return vocabularies;
    }

    ParamStore params() {
        return params;
    }

    Network network() {
        return network;
    }

    /** Every tensor of the model in a fixed order (embeddings, then layers in build order, Dice statistics inline). */
    public List<Param> parameters() {
        return params.all();
    }

    /** The tensor called {@code name}. */
    public Param parameter(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("model has no tensor '" + name + "'");
        }
        return p;
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        long n = 0;
        for (Param p : params.all()) {
            if (p.trainable()) {
                n += p.value().size();
            }
        }
        return n;
    }

    /**
     * Runs the model on {@code batch} (at most {@link #maxBatch()} rows).
     *
     * @param training batch statistics for Dice (and running statistics updated), intermediates kept for
     *                 {@link #backward}
     * @return per-task probabilities {@code [K][B]}
     */
    public float[][] forward(Batch batch, boolean training) {
        compute(batch, training);
        return last.probabilities();
    }

    /** {@link #forward} without copying the probabilities out (the trainer's path). */
    public void compute(Batch batch, boolean training) {
        checkOpen();
        Session s = training ? trainingSession() : inferenceSession();
        s.run(batch, training);
        last = s;
    }

    /**
     * The first half of a training {@link #compute}: checks, binds and uploads {@code batch} to the training session,
     * with {@code extraSrcs[i]} into {@code extraDsts[i]} in the same transfer; returns the key of the forward pass's
     * device work (see {@link Session#upload}). {@link #computeUploaded} runs the forward pass.
     */
    public Object uploadTraining(Batch batch, List<java.lang.foreign.MemorySegment> extraSrcs,
                                 List<io.din4j.tensor.Tensor> extraDsts) {
        checkOpen();
        Session s = trainingSession();
        Object key = s.upload(batch, true, extraSrcs, extraDsts);
        last = s;
        return key;
    }

    /** The second half: the training forward pass on the batch {@link #uploadTraining} uploaded. */
    public void computeUploaded() {
        checkOpen();
        if (last != training || training == null) {
            throw new IllegalStateException("computeUploaded needs uploadTraining first");
        }
        training.forwardUploaded(true);
    }

    /** Per-task probabilities of the last forward pass, {@code [K][B]}. */
    public float[][] probabilities() {
        return lastSession().probabilities();
    }

    /**
     * After a training forward: zeroes the gradients, adds those of {@code Σ_k w_k·BCE_k} (each task over its
     * sample space) into every parameter gradient, and returns each task's BCE.
     */
    public double[] backward(double[] taskWeights) {
        checkOpen();
        if (last != training || training == null) {
            throw new IllegalStateException("backward needs a training forward pass first");
        }
        return training.backward(taskWeights);
    }

    /**
     * {@link #backward(double[])} leaving task k's loss in {@code lossOut[k]} (an f64 tensor of the backend) instead
     * of reading it back (see {@link Session#backward(double[], io.din4j.tensor.Tensor)}).
     */
    public void backward(double[] taskWeights, io.din4j.tensor.Tensor lossOut) {
        checkOpen();
        if (last != training || training == null) {
            throw new IllegalStateException("backward needs a training forward pass first");
        }
        training.backward(taskWeights, lossOut);
    }

    /** {@link #backward(double[])} with the config's initial task weights. */
    public double[] backward() {
        return backward(config.tasks().stream().mapToDouble(ModelConfig.TaskSpec::weight).toArray());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    /**
     * The dense gradient of {@code p} left by the last {@link #backward} of this model's own training graph, or null
     * before the first training forward pass. Another session's graph ({@link #newSession}) keeps its own gradients:
     * {@code session.graph().grad(p)}.
     */
    public io.din4j.tensor.Tensor grad(Param p) {
        checkOpen();
        return training == null ? null : training.graph().grad(p);
    }

    /** The sparse gradient of embedding table {@code p} from this model's own training graph, or null; see {@link #grad}. */
    public io.din4j.backend.SparseGrad sparseGrad(Param p) {
        checkOpen();
        return training == null ? null : training.graph().sparseGrad(p);
    }

    private Session lastSession() {
        checkOpen();
        if (last == null) {
            throw new IllegalStateException("no forward pass yet");
        }
        return last;
    }

    /**
     * After a training forward pass: the name of the first layer output (in graph order) holding a NaN or an
     * infinity, or null. For fault diagnostics (one reduction per buffer).
     */
    public String firstNonFiniteActivation() {
        checkOpen();
        if (training == null) {
            return null;
        }
        for (io.din4j.graph.Graph.Buf b : training.graph().buffers()) {
            io.din4j.tensor.Tensor v = b.v();
            if (v != null && v.dtype() != io.din4j.tensor.DType.I32 && v.size() > 0
                    && !Double.isFinite(backend.tensor().sumSquares(v))) {
                return b.name();
            }
        }
        return null;
    }

    /** Attention weights {@code [B·T]} of the last forward pass (row-major, 0 at padding), or null without attention. */
    public float[] attentionWeights() {
        return lastSession().attentionWeights();
    }

    /** T of the last forward pass (the row stride of {@link #attentionWeights()}). */
    public int lastHistory() {
        return lastSession().boundHistory();
    }

    /** Gate keys: {@code <task>@<level>} and {@code shared@<level>}; empty for models without gates. */
    public List<String> gateKeys() {
        return trainingOrInference().gateKeys();
    }

    /** Probabilities {@code [B·E]} of task {@code task}'s gate at {@code level} in the last forward pass. */
    public float[] gateProbabilities(String task, int level) {
        return lastSession().gateProbabilities(task + "@" + level);
    }

    /** Experts mixed by the gate {@code <task>@<level>}. */
    public int gateWidth(String task, int level) {
        return trainingOrInference().gateWidth(task + "@" + level);
    }

    private Session trainingOrInference() {
        return last != null ? last : inferenceSession();
    }

    private Session trainingSession() {
        if (training == null) {
            training = new Session(this, Session.Mode.TRAINING, maxBatch);
        }
        return training;
    }

    private Session inferenceSession() {
        if (inference == null) {
            inference = new Session(this, Session.Mode.INFERENCE, maxBatch);
        }
        return inference;
    }

    /** A new session sharing this model's parameters (one per thread); the caller closes it. */
    public Session newSession(Session.Mode mode, int maxBatch) {
        checkOpen();
        return new Session(this, mode, maxBatch);
    }

    /** Trainable parameters of {@code kind}. */
    public List<Param> parameters(Param.Kind kind) {
        List<Param> out = new ArrayList<>();
        for (Param p : params.all()) {
            if (p.kind() == kind) {
                out.add(p);
            }
        }
        return out;
    }

    /** Frees the parameters and sessions; idempotent. Every later use of the model throws IllegalStateException. */
    @Override
    public void close() {
        closed = true;
        if (training != null) {
            training.close();
        }
        if (inference != null) {
            inference.close();
        }
        params.close();
    }
}
