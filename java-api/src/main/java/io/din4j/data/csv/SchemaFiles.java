package io.din4j.data.csv;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Schema files and schema inference from a CSV header (docs/data-format.md).
 *
 * <p>A schema file has one column per line, in the order of a {@link io.din4j.data.Batch}'s arrays:
 * <pre>
 * # comment
 * task click
 * task conversion
 * sparse user_id user          # role: user, item, category or context (the default)
 * sparse item_id item
 * sparse cate_id category
 * sequence hist_item_id item_id  # shares the table of the sparse field item_id
 * dense price
 * </pre>
 */
public final class SchemaFiles {
    /** Canonical column names and what they mean. */
    public static final String USER = "user_id";
    public static final String ITEM = "item_id";
    public static final String CATEGORY = "cate_id";
    public static final String HIST_PREFIX = "hist_";

    private SchemaFiles() {
    }

    public static FeatureSchema read(Path path) throws IOException {
        String file = path.toString();
        List<String> tasks = new ArrayList<>();
        List<SparseField> sparse = new ArrayList<>();
        List<SequenceField> sequences = new ArrayList<>();
        List<String> dense = new ArrayList<>();
        try (BufferedReader in = Csv.open(path)) {
            String line;
            long n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                int hash = line.indexOf('#');
                String[] w = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
                if (w.length == 1 && w[0].isEmpty()) {
                    continue;
                }
                try {
                    switch (w[0]) {
                        case "task" -> tasks.add(arg(w, 1, 2));
                        case "sparse" -> sparse.add(new SparseField(arg(w, 1, 3), w.length > 2 ? role(w[2]) : FieldRole.CONTEXT));
                        case "sequence" -> sequences.add(new SequenceField(arg(w, 1, 3), arg(w, 2, 3)));
                        case "dense" -> dense.add(arg(w, 1, 2));
                        default -> throw new IllegalArgumentException("unknown kind '" + w[0] + "' (expected task, sparse, sequence or dense)");
                    }
                } catch (IllegalArgumentException e) {
                    throw new DataException(file, n, null, e.getMessage());
                }
            }
        }
        try {
            return new FeatureSchema(sparse, sequences, dense, tasks);
        } catch (IllegalArgumentException e) {
            throw new DataException(file, 0, null, e.getMessage());
        }
    }

    private static String arg(String[] w, int i, int maxWords) {
        if (w.length <= i || w.length > maxWords) {
            throw new IllegalArgumentException("'" + String.join(" ", w) + "' should have " + (maxWords - 1) + " word(s) after '" + w[0] + "'");
        }
        return w[i];
    }

    private static FieldRole role(String s) {
        try {
            return FieldRole.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown role '" + s + "' (expected user, item, category or context)");
        }
    }

    public static void write(FeatureSchema schema, Writer out) throws IOException {
        out.write("# din4j schema: one column per line (docs/data-format.md)\n");
        for (String t : schema.tasks()) {
            out.write("task " + t + "\n");
        }
        for (SparseField f : schema.sparse()) {
            out.write("sparse " + f.name() + " " + f.role().name().toLowerCase(Locale.ROOT) + "\n");
        }
        for (SequenceField s : schema.sequences()) {
            out.write("sequence " + s.name() + " " + s.table() + "\n");
        }
        for (String d : schema.dense()) {
            out.write("dense " + d + "\n");
        }
    }

    /**
     * Infers a schema from a header. Tasks are {@code tasks} when given, else {@code label}, else {@code click}
     * (and {@code conversion} when present). {@code user_id}, {@code item_id} and {@code cate_id} are the user,
     * candidate item and candidate category; {@code hist_X} is a behaviour sequence sharing the table of sparse
     * field {@code X}. Every other column must be declared in {@code sparse} (context features) or {@code dense},
     * or be in {@code ignored}.
     *
     * @throws DataException naming the first column that cannot be placed
     */
    public static FeatureSchema infer(String file, List<String> header, List<String> tasks, Collection<String> sparse,
                                      Collection<String> dense, Collection<String> ignored) {
        Set<String> cols = new LinkedHashSet<>();
        for (String h : header) {
            if (!cols.add(h)) {
                throw new DataException(file, 1, h, "column '" + h + "' appears twice in the header");
            }
        }
        List<String> t = new ArrayList<>(tasks == null ? List.of() : tasks);
        if (t.isEmpty()) {
            if (cols.contains("label")) {
                t.add("label");
            } else if (cols.contains("click")) {
                t.add("click");
                if (cols.contains("conversion")) {
                    t.add("conversion");
                }
            } else {
                throw new DataException(file, 1, null, "no label column ('label', or 'click' and 'conversion'): name the task columns (--tasks)");
            }
        }
        for (String name : concat(concat(t, sparse, dense), ignored, List.of())) {
            if (!cols.contains(name)) {
                throw new DataException(file, 1, name, "declared column '" + name + "' is not in the header " + header);
            }
        }
        List<SparseField> sp = new ArrayList<>();
        List<SequenceField> seq = new ArrayList<>();
        List<String> de = new ArrayList<>();
        for (String h : header) {
            if (t.contains(h) || ignored.contains(h)) {
                continue;
            }
            if (dense.contains(h)) {
                de.add(h);
            } else if (h.equals(USER)) {
                sp.add(new SparseField(h, FieldRole.USER));
            } else if (h.equals(ITEM)) {
                sp.add(new SparseField(h, FieldRole.ITEM));
            } else if (h.equals(CATEGORY)) {
                sp.add(new SparseField(h, FieldRole.CATEGORY));
            } else if (sparse.contains(h)) {
                sp.add(new SparseField(h, FieldRole.CONTEXT));
            } else if (h.startsWith(HIST_PREFIX) && !h.equals(HIST_PREFIX)) {
                seq.add(new SequenceField(h, h.substring(HIST_PREFIX.length())));
            } else {
                throw new DataException(file, 1, h, "column '" + h + "' is not declared: declare it sparse or dense (--sparse/--dense or a schema file), or --ignore it");
            }
        }
        for (SequenceField s : seq) {
            if (sp.stream().noneMatch(f -> f.name().equals(s.table()))) {
                throw new DataException(file, 1, s.name(), "sequence column '" + s.name() + "' needs a sparse column '" + s.table() + "' whose table it shares");
            }
        }
        try {
            return new FeatureSchema(sp, seq, de, t);
        } catch (IllegalArgumentException e) {
            throw new DataException(file, 1, null, e.getMessage());
        }
    }

    private static List<String> concat(List<String> a, Collection<String> b, Collection<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }
}
