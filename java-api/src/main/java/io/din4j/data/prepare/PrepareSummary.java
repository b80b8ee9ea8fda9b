package io.din4j.data.prepare;

/**
 * What a prepare step wrote.
 *
 * @param users     users with at least one written row (-1 when the format has no user column)
 * @param items     distinct items (-1 when unknown)
 * @param trainRows rows written to the training file
 * @param testRows  rows written to the test file
 */
public record PrepareSummary(long users, long items, long trainRows, long testRows) {
}
