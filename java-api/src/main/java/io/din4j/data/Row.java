package io.din4j.data;

/**
 * One sample as read from a file, before vocabulary mapping: raw ids as strings, in the order of a
 * {@link FeatureSchema}.
 *
 * @param labels    one per task; {@code NaN} when the row is outside that task's sample space (empty label cell)
 * @param sparse    one raw id per sparse field; null when missing (an empty cell), which maps to the
 *                  out-of-vocabulary row
 * @param sequences one array of raw ids per sequence field, oldest first; all of the same length
 * @param dense     one value per dense feature
 */
public record Row(float[] labels, String[] sparse, String[][] sequences, float[] dense) {
    /** Length of the behaviour history (0 when the schema has no sequences). */
    public int historyLength() {
        return sequences.length == 0 ? 0 : sequences[0].length;
    }

    /** Whether task {@code k} has a label for this row. */
    public boolean hasLabel(int k) {
        return !Float.isNaN(labels[k]);
    }
}
