package io.din4j.model;

import io.din4j.data.FeatureSchema;
import io.din4j.graph.Graph;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.ParamStore;
import java.util.ArrayList;
import java.util.List;

/**
 * PLE, CGC, MMoE and shared-bottom over the plain input of the multi-task papers: the concatenation of every sparse
 * field's embedding (schema order), the sum-pooled behaviour sequences ({@code [D]}, sequences in schema order,
 * when there are any) and the dense features, fed to a {@link MultiTaskHead}.
 */
final class PleNetwork extends Network {
    private final MultiTaskHead head;

    public PleNetwork(ModelConfig config, FeatureSchema schema, int[] vocabSizes, long[][] counts, ParamStore params) {
        super(config, schema, vocabSizes, counts, params);
        int in = config.embeddingDim() * schema.sparse().size() + behaviourWidth() + schema.dense().size();
        head = new MultiTaskHead(config, params, in);
    }

    @Override
    public Outputs build(Graph g, Inputs in) {
        List<Buf> parts = new ArrayList<>(fieldEmbeddingParts(g, in));
        Buf pooled = pooledBehaviours(g, in);
        if (pooled != null) {
            parts.add(perSample(g, pooled));
        }
        if (in.dense() != null) {
            parts.add(in.dense());
        }
        MultiTaskHead.Result r = head.apply(g, g.concat("input", parts));
        return new Outputs(r.logits(), null, r.gates());
    }
}
