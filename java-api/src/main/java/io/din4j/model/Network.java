package io.din4j.model;

import io.din4j.data.FeatureSchema;
import io.din4j.data.SequenceField;
import io.din4j.graph.Graph;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Param;
import io.din4j.graph.ParamStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model family's parameters (created once, in its constructor) and the recipe that appends its ops to a
 * {@link Graph} (run for every planned graph: training, inference, one per thread). Subclasses are
 * {@link DinNetwork} and {@link PleNetwork} (package-private); use {@link Model} rather than this class.
 *
 * <p>The embedding tables are common to all families: {@code emb.<field> [V_field, dim]} for every sparse field
 * in schema order; a behaviour sequence reads the table of the field it names (DIN §4.1: behaviours and the
 * candidate share embeddings).
 */
public abstract class Network {
    protected final ModelConfig config;
    protected final FeatureSchema schema;
    protected final ParamStore params;
    protected final Param[] tables;

    /**
     * What the graph is fed with: one buffer per schema column (see {@link Session}). {@code lengths} is per sample
     * ({@code [B]}); {@code historyLengths} matches the sequences' extent: the same buffer, or {@code [1]} when one
     * user's history is scored against many candidates.
     */
    public record Inputs(Buf[] sparse, Buf[] sequences, Buf lengths, Buf historyLengths, Buf dense) {
    }

    /**
     * What a network hands back: one logit buffer {@code [B, 1]} per task, the attention weights of DIN
     * ({@code [B, T]}, after the optional softmax) or null, and gate probabilities keyed {@code <task>@<level>}
     * ({@code shared@<level>} for PLE's shared gates).
     */
    public record Outputs(List<Buf> logits, Buf attention, Map<String, Buf> gates) {
    }

    protected Network(ModelConfig config, FeatureSchema schema, int[] vocabSizes, long[][] counts, ParamStore params) {
        this.config = config;
        this.schema = schema;
        this.params = params;
        if (vocabSizes.length != schema.sparse().size()) {
            throw new IllegalArgumentException("vocabSizes has " + vocabSizes.length + " entries for "
                    + schema.sparse().size() + " sparse fields");
        }
        tables = new Param[vocabSizes.length];
        for (int f = 0; f < tables.length; f++) {
            if (vocabSizes[f] < 1) {
                throw new IllegalArgumentException("vocabulary of '" + schema.sparse().get(f).name() + "' has "
                        + vocabSizes[f] + " rows (at least the out-of-vocabulary row is needed)");
            }
            tables[f] = params.embedding("emb." + schema.sparse().get(f).name(), vocabSizes[f], config.embeddingDim(),
                    counts == null ? null : counts[f]);
            // Small uniform init; the embeddings carry most of the signal and are learned fast by their own optimizer group.
            Init.uniform(params, tables[f], 0.05, config.seed());
        }
    }

    /** Appends the network's ops; {@code in} holds the input buffers. */
    public abstract Outputs build(Graph g, Inputs in);

    /** Index of the sparse field whose table sequence {@code s} shares. */
    protected int tableOf(int s) {
        SequenceField sf = schema.sequences().get(s);
        return schema.sparseIndex(sf.table());
    }

    /** Width of the concatenated behaviour embedding (D = sequences · dim). */
    protected int behaviourWidth() {
        return schema.sequences().size() * config.embeddingDim();
    }

    /** {@code x} as a per-sample buffer: a user-side {@code [1, ...]} buffer is broadcast to the batch. */
    protected static Buf perSample(Graph g, Buf x) {
        return x.extent() == Graph.Extent.ONE || x.extent() == Graph.Extent.ONE_SEQUENCE ? g.broadcast(x.name() + ".bcast", x) : x;
    }

    /** Embeddings of every sparse field, per sample, in schema order. */
    protected List<Buf> fieldEmbeddings(Graph g, Inputs in) {
        List<Buf> out = new ArrayList<>();
        for (int f = 0; f < tables.length; f++) {
            out.add(perSample(g, g.gather("emb." + schema.sparse().get(f).name(), tables[f], in.sparse()[f])));
        }
        return out;
    }

    /**
     * Every sparse field's embedding, per sample, as the parts of a concatenation in schema order: one buffer
     * {@code [B, F·dim]} of all of them where the graph gathers into column windows and the fields share an extent,
     * else {@link #fieldEmbeddings}, one part per field (a USER field beside per-row fields when scoring candidates).
     */
    protected List<Buf> fieldEmbeddingParts(Graph g, Inputs in) {
        if (tables.length == 0) {
            return List.of();
        }
        Graph.Extent e = in.sparse()[0].extent();
        if (!Arrays.stream(in.sparse()).allMatch(x -> x.extent() == e)) {
            return fieldEmbeddings(g, in);
        }
        List<String> names = new ArrayList<>();
        for (int f = 0; f < tables.length; f++) {
            names.add("emb." + schema.sparse().get(f).name());
        }
        return List.of(perSample(g, g.gatherConcat("fields", names, Arrays.asList(tables), List.of(in.sparse()), null)));
    }

    /** The behaviour sequences' embeddings concatenated to {@code [B or 1, T, D]}, or null when there are none. */
    protected Buf behaviourKeys(Graph g, Inputs in) {
        if (schema.sequences().isEmpty()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        List<Param> used = new ArrayList<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            names.add("emb." + schema.sequences().get(s).name());
            used.add(tables[tableOf(s)]);
        }
        return g.gatherConcat("behaviours", names, used, List.of(in.sequences()), in.historyLengths());
    }

    /**
     * The behaviour sequences sum-pooled, concatenated to {@code [B or 1, D]}, or null when there are none: the sum over
     * the valid positions of {@link #behaviourKeys}, without building those keys (one fused op per sequence where the
     * backend has it).
     */
    protected Buf pooledBehaviours(Graph g, Inputs in) {
        if (schema.sequences().isEmpty()) {
            return null;
        }
        List<Buf> parts = new ArrayList<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            parts.add(g.gatherSumPool("pooled." + schema.sequences().get(s).name(), tables[tableOf(s)], in.sequences()[s], in.historyLengths()));
        }
        return g.concat("pooled", parts);
    }

    /** Splits a {@code [B, K]} logit buffer into K {@code [B, 1]} buffers. */
    protected List<Buf> perTask(Graph g, Buf logits) {
        int k = config.tasks().size();
        if (k == 1) {
            return List.of(logits);
        }
        int[] ones = new int[k];
        java.util.Arrays.fill(ones, 1);
        return g.split("logits", logits, ones);
    }

    protected static Map<String, Buf> noGates() {
        return new LinkedHashMap<>();
    }
}
