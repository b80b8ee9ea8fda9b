package io.din4j.model;

import io.din4j.backend.AttentionUnit;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.graph.Graph;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Param;
import io.din4j.graph.ParamStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * DIN (Zhou et al. 2018, Fig. 2 right) and its BaseModel (Fig. 2 left).
 *
 * <p>The candidate {@code q [B, D]} is the concatenation of the embeddings of the fields the behaviour sequences
 * share (item ⊕ category: D = 2·dim); each behaviour {@code k_t [D]} concatenates its sequences the same way.
 * DIN scores every behaviour with the local activation unit and pools {@code v_U = Σ_t a(k_t, q)·k_t} (eq. 3, no
 * softmax unless configured); BaseModel pools {@code Σ_t k_t}. The output MLP reads, in this order,
 * <ol>
 *   <li>the USER fields' embeddings (schema order),</li>
 *   <li>q,</li>
 *   <li>the pooled interest (only when the schema has sequences),</li>
 *   <li>every other sparse field (candidate or context, schema order),</li>
 *   <li>the dense features,</li>
 * </ol>
 * then {@code mlp.fc*} (200, 80 with Dice or PReLU) and {@code mlp.out [K, 80]}: one logit per task. DIN+PLE
 * feeds the same vector to a {@link MultiTaskHead} instead of the output MLP.
 */
final class DinNetwork extends Network {
    private final boolean attention;
    private final AttentionUnit unit;
    private final Mlp attentionMlp;
    private final Mlp mlp;
    private final MultiTaskHead ple;
    private final int[] userFields;
    private final int[] queryFields;
    private final int[] otherFields;
    private final int inputWidth;

    /** Builds the parameters of a {@code din}, {@code base} or {@code din-ple} model. */
    public DinNetwork(ModelConfig config, FeatureSchema schema, int[] vocabSizes, long[][] counts, ParamStore params) {
        super(config, schema, vocabSizes, counts, params);
        this.attention = config.type().usesAttention();
        List<Integer> user = new ArrayList<>();
        Set<Integer> query = new LinkedHashSet<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            query.add(tableOf(s));
        }
        List<Integer> query2 = new ArrayList<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            query2.add(tableOf(s));
        }
        List<Integer> other = new ArrayList<>();
        for (int f = 0; f < schema.sparse().size(); f++) {
            if (schema.sparse().get(f).role() == FieldRole.USER) {
                user.add(f);
            } else if (!query.contains(f)) {
                other.add(f);
            }
        }
        userFields = user.stream().mapToInt(Integer::intValue).toArray();
        queryFields = query2.stream().mapToInt(Integer::intValue).toArray();
        otherFields = other.stream().mapToInt(Integer::intValue).toArray();
        int d = config.embeddingDim();
        int dBehaviour = behaviourWidth();
        inputWidth = d * (userFields.length + otherFields.length) + (dBehaviour > 0 ? 2 * dBehaviour : 0)
                + schema.dense().size();
        if (attention && dBehaviour > 0) {
            unit = new AttentionUnit(dBehaviour, config.attentionHidden(), config.attentionActivation());
            attentionMlp = new Mlp(params, "attention", 0, 4 * dBehaviour, config.attentionHidden(), config.attentionActivation(), 1, config.seed());
        } else {
            unit = null;
            attentionMlp = null;
        }
        if (config.type() == ModelConfig.Type.DIN_PLE) {
            mlp = null;
            ple = new MultiTaskHead(config, params, inputWidth);
        } else {
            mlp = new Mlp(params, "mlp", 0, inputWidth, config.mlpHidden(), config.mlpActivation(), config.tasks().size(), config.seed());
            ple = null;
        }
    }

    /** Width of the output MLP's input (the vector {@link #interest} returns). */
    public int inputWidth() {
        return inputWidth;
    }

    /** The result of {@link #interest}: the output MLP's input and the attention weights (or null). */
    public record Interest(Buf input, Buf attention) {
    }

    /** Appends everything up to the output MLP's input: embeddings, attention, pooling, concatenation. */
    public Interest interest(Graph g, Inputs in) {
        // Ops in field order, the query's before the behaviours' (a table's sparse passes run in reverse op order,
        // and the item table gets rows from both): the order the lookups had when every field was gathered first.
        Buf[] fields = new Buf[schema.sparse().size()];
        for (int f = 0; f < fields.length; f++) {
            if (!isQueryField(f) || schema.sparse().get(f).role() == FieldRole.USER) {
                fields[f] = perSample(g, g.gather("emb." + schema.sparse().get(f).name(), tables[f], in.sparse()[f]));
            }
        }
        Buf query = schema.sequences().isEmpty() ? null : query(g, in);
        List<Buf> parts = new ArrayList<>();
        for (int f : userFields) {
            parts.add(fields[f]);
        }
        Buf weights = null;
        // The base model only sum-pools the keys: pooled from the tables directly, never built as [B, T, D].
        Buf keys = attention ? behaviourKeys(g, in) : null;
        if (query != null) {
            parts.add(query);
            Buf pooled;
            Buf[] shared = attention && !config.attentionSoftmax()
                    ? g.attentionPooledSharedKeys("attention.scores", "interest", unit,
                            attentionMlp.asAttentionParams(null), query, keys, in.lengths())
                    : null;
            if (shared != null) {
                // One user against many candidates: every candidate is scored against the user's keys in place.
                weights = shared[0];
                pooled = shared[1];
            } else if (attention) {
                Buf k = perSample(g, keys);
                Buf lengths = in.lengths();
                Buf scores = g.attention("attention.scores", unit, attentionMlp.asAttentionParams(null),
                        () -> attentionMlp.asAttentionParams(g), query, k, lengths);
                weights = config.attentionSoftmax() ? g.maskedSoftmax("attention.softmax", scores, lengths) : scores;
                pooled = g.weightedSum("interest", weights, k, lengths);
            } else {
                // Sum pooling commutes with the broadcast: pool the user's history once, then copy.
                pooled = perSample(g, pooledBehaviours(g, in));
            }
            parts.add(pooled);
        }
        for (int f : otherFields) {
            parts.add(fields[f]);
        }
        if (in.dense() != null) {
            parts.add(in.dense());
        }
        return new Interest(g.concat("mlp.input", parts), weights);
    }

    private boolean isQueryField(int f) {
        for (int q : queryFields) {
            if (q == f) {
                return true;
            }
        }
        return false;
    }

    /**
     * The candidate's embeddings, one per behaviour sequence's table, side by side {@code [B, Σ D]}: one lookup op
     * into the columns where the fields share an extent ({@link Graph#gatherConcat}), else a lookup each and a concat.
     */
    private Buf query(Graph g, Inputs in) {
        List<String> names = new ArrayList<>();
        List<Param> used = new ArrayList<>();
        List<Buf> ids = new ArrayList<>();
        for (int f : queryFields) {
            names.add("emb." + schema.sparse().get(f).name());
            used.add(tables[f]);
            ids.add(in.sparse()[f]);
        }
        Graph.Extent e = ids.get(0).extent();
        if (ids.stream().allMatch(x -> x.extent() == e)) {
            return perSample(g, g.gatherConcat("query", names, used, ids, null));
        }
        List<Buf> parts = new ArrayList<>();
        for (int i = 0; i < used.size(); i++) {
            parts.add(perSample(g, g.gather(names.get(i), used.get(i), ids.get(i))));
        }
        return g.concat("query", parts);
    }

    @Override
    public Outputs build(Graph g, Inputs in) {
        Interest it = interest(g, in);
        if (ple != null) {
            MultiTaskHead.Result r = ple.apply(g, it.input());
            return new Outputs(r.logits(), it.attention(), r.gates());
        }
        Buf logits = mlp.apply(g, it.input());
        return new Outputs(perTask(g, logits), it.attention(), noGates());
    }
}
