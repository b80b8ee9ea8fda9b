package io.din4j.data;

/** What a single-valued sparse feature describes; models use the role to wire the field. */
public enum FieldRole {
    /** User profile (user_id, age bucket, ...): feeds the output MLP. */
    USER,
    /** The candidate item id; its table is shared with the item-id behaviour sequence. */
    ITEM,
    /** The candidate's category; its table is shared with the category behaviour sequence. */
    CATEGORY,
    /** Any other candidate or context feature (shop, brand, hour, ...): feeds the output MLP. */
    CONTEXT
}
