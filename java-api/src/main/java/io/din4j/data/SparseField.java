package io.din4j.data;

/** A single-valued categorical feature with its own embedding table (or the candidate's item/category). */
public record SparseField(String name, FieldRole role) {
    public SparseField {
        FeatureSchema.checkName(name);
        if (role == null) {
            throw new IllegalArgumentException("sparse field '" + name + "' needs a role");
        }
    }
}
