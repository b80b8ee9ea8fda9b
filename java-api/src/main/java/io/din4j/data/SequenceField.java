package io.din4j.data;

/**
 * A behaviour sequence (e.g. {@code hist_item_id}) whose ids share the vocabulary and embedding table of the sparse
 * field named {@code table} (e.g. {@code item_id}), as in the DIN paper where behaviours and the candidate share
 * embeddings.
 */
public record SequenceField(String name, String table) {
    public SequenceField {
        FeatureSchema.checkName(name);
        FeatureSchema.checkName(table);
    }
}
