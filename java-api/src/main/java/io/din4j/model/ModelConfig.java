package io.din4j.model;

import io.din4j.backend.Activation;
import io.din4j.json.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Architecture and hyper-parameters of a model; immutable, with a JSON round trip ({@link #toJson()},
 * {@link #fromJson}). Build one with {@link #builder(Type)}.
 *
 * <p>Defaults follow the papers: embeddings 32 wide per field (DIN's candidate is item ⊕ category, so the attention
 * unit sees width D = 2·32), attention unit (80, 40) with Dice, output MLP (200, 80) with Dice, no softmax over
 * attention scores (DIN §4.3); PLE with 2 levels, 1 specific expert per task and 1 shared expert, experts and
 * towers with ReLU.
 *
 * @param type                model family
 * @param embeddingDim        width of every embedding table
 * @param attentionHidden     hidden widths of DIN's local activation unit
 * @param attentionActivation activation of the local activation unit
 * @param attentionSoftmax    normalise attention scores with a softmax over each sample's valid behaviours
 * @param mlpHidden           hidden widths of DIN/BaseModel's output MLP
 * @param mlpActivation       activation of the output MLP (dice or prelu in the paper)
 * @param levels              PLE extraction levels (CGC, MMoE and shared-bottom use 1)
 * @param specificExperts     task-specific experts per task and level (m_k)
 * @param sharedExperts       shared experts per level (m_s); MMoE's experts
 * @param expertHidden        hidden widths of every expert (and of the shared-bottom network); the last is the
 *                            expert output width
 * @param towerHidden         hidden widths of each task tower (then a linear layer to one logit)
 * @param expertActivation    activation of experts and towers
 * @param gate                gate form; only {@code softmax} (softmax(W·x + b), PLE eq. 4) is defined
 * @param tasks               task names with loss weights and per-epoch decay; names match the schema's tasks
 * @param maxHistory          history length buffers are first planned for (they grow when a batch is longer)
 * @param seed                seed of the parameter initialisation
 */
public record ModelConfig(Type type, int embeddingDim, int[] attentionHidden, Activation attentionActivation,
                          boolean attentionSoftmax, int[] mlpHidden, Activation mlpActivation, int levels,
                          int specificExperts, int sharedExperts, int[] expertHidden, int[] towerHidden,
                          Activation expertActivation, String gate, List<TaskSpec> tasks, int maxHistory, long seed) {
    /**
     * The longest history a model plans for or accepts in a batch. Buffers are planned for maxBatch × T rows, so
     * the bound keeps a corrupt model.json or a runaway batch from planning unbounded memory; DIN's histories are
     * cut to their most recent behaviours long before this.
     */
    public static final int MAX_HISTORY = 4096;
    /**
     * Bounds on the other sizes (embedding and hidden widths, layers per stack, levels, experts, tasks). They sit
     * far above any model of the papers and keep every derived size (e.g. experts × width of PLE's fused expert
     * layer) inside an int, so a corrupt config fails here rather than overflowing later.
     */
    public static final int MAX_WIDTH = 1 << 16;
    public static final int MAX_COUNT = 64;

    /** Model families. */
    public enum Type {
        DIN("din"), BASE("base"), PLE("ple"), CGC("cgc"), MMOE("mmoe"), SHARED_BOTTOM("shared-bottom"), DIN_PLE("din-ple");

        private final String id;

        Type(String id) {
            this.id = id;
        }

        /** The name used in files and on the command line. */
        public String id() {
            return id;
        }

        /** Whether the model pools behaviours with DIN's attention. */
        public boolean usesAttention() {
            return this == DIN || this == DIN_PLE;
        }

        /** Whether the model has experts, gates and towers. */
        public boolean isMultiTask() {
            return this != DIN && this != BASE;
        }

        public static Type parse(String s) {
            for (Type t : values()) {
                if (t.id.equalsIgnoreCase(s.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown model type '" + s + "' (expected " + choices() + ")");
        }

        /** Every id in declaration order, as messages list them: {@code din, base, ..., shared-bottom or din-ple}. */
        public static String choices() {
            List<String> ids = java.util.Arrays.stream(values()).map(Type::id).toList();
            return String.join(", ", ids.subList(0, ids.size() - 1)) + " or " + ids.getLast();
        }
    }

    /**
     * A task of the multi-task loss {@code Σ_k w_k·BCE_k}: weight {@code w_k0} and per-epoch decay {@code γ_k}, so
     * that in epoch e (0-based) {@code w_k = w_k0·γ_k^e} (PLE paper eq. 10).
     */
    public record TaskSpec(String name, double weight, double decay) {
        public TaskSpec {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("task name must not be blank");
            }
            if (!(weight >= 0) || !Double.isFinite(weight)) {
                throw new IllegalArgumentException("task '" + name + "': weight must be >= 0, got " + weight);
            }
            if (!(decay > 0) || !Double.isFinite(decay)) {
                throw new IllegalArgumentException("task '" + name + "': decay must be > 0, got " + decay);
            }
        }

        /** The weight in epoch {@code epoch} (0-based). */
        public double weightAt(int epoch) {
            return weight * Math.pow(decay, epoch);
        }
    }

    public ModelConfig {
        if (type == null) {
            throw new IllegalArgumentException("model type must be set");
        }
        positive("embeddingDim", embeddingDim);
        attentionHidden = checkWidths("attentionHidden", attentionHidden, false);
        mlpHidden = checkWidths("mlpHidden", mlpHidden, true);
        expertHidden = checkWidths("expertHidden", expertHidden, false);
        towerHidden = checkWidths("towerHidden", towerHidden, true);
        positive("levels", levels);
        atMost("embeddingDim", embeddingDim, MAX_WIDTH);
        atMost("levels", levels, MAX_COUNT);
        atMost("specificExperts", specificExperts, MAX_COUNT);
        atMost("sharedExperts", sharedExperts, MAX_COUNT);
        if (specificExperts < 0) {
            throw new IllegalArgumentException("specificExperts must be >= 0, got " + specificExperts);
        }
        if (sharedExperts < 0) {
            throw new IllegalArgumentException("sharedExperts must be >= 0, got " + sharedExperts);
        }
        if ((type == Type.PLE || type == Type.CGC || type == Type.DIN_PLE) && specificExperts + sharedExperts == 0) {
            throw new IllegalArgumentException("a " + type.id + " model needs at least one expert per gate");
        }
        if (type == Type.MMOE && sharedExperts == 0) {
            throw new IllegalArgumentException("an mmoe model needs sharedExperts >= 1");
        }
        if (!"softmax".equals(gate)) {
            throw new IllegalArgumentException("gate must be 'softmax', got '" + gate + "'");
        }
        if (attentionActivation == null || mlpActivation == null || expertActivation == null) {
            throw new IllegalArgumentException("activations must be set");
        }
        tasks = List.copyOf(tasks);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("at least one task is needed");
        }
        atMost("tasks", tasks.size(), MAX_COUNT);
        if (tasks.stream().map(TaskSpec::name).distinct().count() != tasks.size()) {
            throw new IllegalArgumentException("task names must be distinct, got " + tasks);
        }
        positive("maxHistory", maxHistory);
        if (maxHistory > MAX_HISTORY) {
            throw new IllegalArgumentException("maxHistory must be at most " + MAX_HISTORY + ", got " + maxHistory);
        }
    }

    /**
     * Experts each task owns per level (m_k): 0 for MMoE, whose experts are all shared and only the gates are per
     * task (Ma et al., KDD 2018), else {@code specificExperts}.
     */
    public int taskExperts() {
        return type == Type.MMOE ? 0 : specificExperts;
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    private static void atMost(String what, int v, int max) {
        if (v > max) {
            throw new IllegalArgumentException(what + " must be at most " + max + ", got " + v);
        }
    }

    private static int[] checkWidths(String what, int[] w, boolean mayBeEmpty) {
        if (w == null || (!mayBeEmpty && w.length == 0)) {
            throw new IllegalArgumentException(what + " needs at least one layer");
        }
        atMost(what + " layers", w.length, MAX_COUNT);
        for (int x : w) {
            if (x <= 0 || x > MAX_WIDTH) {
                throw new IllegalArgumentException(what + " widths must be in [1, " + MAX_WIDTH + "], got " + Arrays.toString(w));
            }
        }
        return w.clone();
    }

    /** The levels actually built: {@link #levels} for PLE and DIN+PLE, 1 for the others. */
    public int effectiveLevels() {
        return type == Type.PLE || type == Type.DIN_PLE ? levels : 1;
    }

    /** Index of task {@code name}, or -1. */
    public int taskIndex(String name) {
        for (int i = 0; i < tasks.size(); i++) {
            if (tasks.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int[] attentionHidden() {
        return attentionHidden.clone();
    }

    @Override
    public int[] mlpHidden() {
        return mlpHidden.clone();
    }

    @Override
    public int[] expertHidden() {
        return expertHidden.clone();
    }

    @Override
    public int[] towerHidden() {
        return towerHidden.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "ModelConfig" + Json.write(toJson()).replaceAll("\\s+", " ").trim();
    }

    // ------------------------------------------------------------------ JSON

    /** The config as a JSON object (what model.json stores under {@code "config"}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type.id());
        m.put("embedding_dim", embeddingDim);
        m.put("attention_hidden", ints(attentionHidden));
        m.put("attention_activation", lower(attentionActivation));
        m.put("attention_softmax", attentionSoftmax);
        m.put("mlp_hidden", ints(mlpHidden));
        m.put("mlp_activation", lower(mlpActivation));
        m.put("levels", levels);
        m.put("specific_experts", specificExperts);
        m.put("shared_experts", sharedExperts);
        m.put("expert_hidden", ints(expertHidden));
        m.put("tower_hidden", ints(towerHidden));
        m.put("expert_activation", lower(expertActivation));
        m.put("gate", gate);
        List<Object> ts = new ArrayList<>();
        for (TaskSpec t : tasks) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("name", t.name());
            tm.put("weight", t.weight());
            tm.put("decay", t.decay());
            ts.add(tm);
        }
        m.put("tasks", ts);
        m.put("max_history", maxHistory);
        m.put("seed", seed);
        return m;
    }

    private static List<Long> ints(int[] a) {
        return Arrays.stream(a).mapToObj(x -> (long) x).toList();
    }

    private static String lower(Activation a) {
        return a.name().toLowerCase(Locale.ROOT);
    }

    /** Reads a config written by {@link #toJson()}; absent keys take their defaults. */
    public static ModelConfig fromJson(Map<String, Object> json) {
        Json.Obj o = new Json.Obj(json, "config");
        Builder b = builder(Type.parse(o.str("type")));
        ModelConfig d = b.build();
        b.embeddingDim(o.integer("embedding_dim", d.embeddingDim))
                .attentionHidden(o.ints("attention_hidden", d.attentionHidden))
                .attentionActivation(Activation.parse(o.str("attention_activation", lower(d.attentionActivation))))
                .attentionSoftmax(o.bool("attention_softmax", d.attentionSoftmax))
                .mlpHidden(o.ints("mlp_hidden", d.mlpHidden))
                .mlpActivation(Activation.parse(o.str("mlp_activation", lower(d.mlpActivation))))
                .levels(o.integer("levels", d.levels))
                .specificExperts(o.integer("specific_experts", d.specificExperts))
                .sharedExperts(o.integer("shared_experts", d.sharedExperts))
                .expertHidden(o.ints("expert_hidden", d.expertHidden))
                .towerHidden(o.ints("tower_hidden", d.towerHidden))
                .expertActivation(Activation.parse(o.str("expert_activation", lower(d.expertActivation))))
                .gate(o.str("gate", d.gate))
                .maxHistory(o.integer("max_history", d.maxHistory));
        if (o.has("seed")) {
            b.seed(o.lng("seed"));
        }
        if (o.has("tasks")) {
            List<TaskSpec> ts = new ArrayList<>();
            for (Json.Obj t : o.objects("tasks")) {
                ts.add(new TaskSpec(t.str("name"), t.dbl("weight", 1), t.dbl("decay", 1)));
            }
            b.tasks(ts);
        }
        return b.build();
    }

    // --------------------------------------------------------------- builder

    /** A builder with the papers' defaults for {@code type} and one task named {@code click}. */
    public static Builder builder(Type type) {
        return new Builder(type);
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        Builder b = new Builder(type);
        b.embeddingDim = embeddingDim;
        b.attentionHidden = attentionHidden.clone();
        b.attentionActivation = attentionActivation;
        b.attentionSoftmax = attentionSoftmax;
        b.mlpHidden = mlpHidden.clone();
        b.mlpActivation = mlpActivation;
        b.levels = levels;
        b.specificExperts = specificExperts;
        b.sharedExperts = sharedExperts;
        b.expertHidden = expertHidden.clone();
        b.towerHidden = towerHidden.clone();
        b.expertActivation = expertActivation;
        b.gate = gate;
        b.tasks = new ArrayList<>(tasks);
        b.maxHistory = maxHistory;
        b.seed = seed;
        return b;
    }

    /** Mutable builder of a {@link ModelConfig}. */
    public static final class Builder {
        private Type type;
        private int embeddingDim = 32;
        private int[] attentionHidden = {80, 40};
        private Activation attentionActivation = Activation.DICE;
        private boolean attentionSoftmax;
        private int[] mlpHidden = {200, 80};
        private Activation mlpActivation = Activation.DICE;
        private int levels = 2;
        private int specificExperts = 1;
        private int sharedExperts = 1;
        private int[] expertHidden = {64};
        private int[] towerHidden = {32};
        private Activation expertActivation = Activation.RELU;
        private String gate = "softmax";
        private List<TaskSpec> tasks = new ArrayList<>(List.of(new TaskSpec("click", 1, 1)));
        private int maxHistory = 64;
        private long seed = 1;

        private Builder(Type type) {
            this.type = type;
        }

        public Builder type(Type v) {
            type = v;
            return this;
        }

        public Builder embeddingDim(int v) {
            embeddingDim = v;
            return this;
        }

        public Builder attentionHidden(int... v) {
            attentionHidden = v.clone();
            return this;
        }

        public Builder attentionActivation(Activation v) {
            attentionActivation = v;
            return this;
        }

        public Builder attentionSoftmax(boolean v) {
            attentionSoftmax = v;
            return this;
        }

        public Builder mlpHidden(int... v) {
            mlpHidden = v.clone();
            return this;
        }

        public Builder mlpActivation(Activation v) {
            mlpActivation = v;
            return this;
        }

        public Builder levels(int v) {
            levels = v;
            return this;
        }

        public Builder specificExperts(int v) {
            specificExperts = v;
            return this;
        }

        public Builder sharedExperts(int v) {
            sharedExperts = v;
            return this;
        }

        public Builder expertHidden(int... v) {
            expertHidden = v.clone();
            return this;
        }

        public Builder towerHidden(int... v) {
            towerHidden = v.clone();
            return this;
        }

        public Builder expertActivation(Activation v) {
            expertActivation = v;
            return this;
        }

        public Builder gate(String v) {
            gate = v;
            return this;
        }

        /** Tasks with weight 1 and no decay. */
        public Builder tasks(String... names) {
            tasks = new ArrayList<>();
            for (String n : names) {
                tasks.add(new TaskSpec(n, 1, 1));
            }
            return this;
        }

        public Builder tasks(List<TaskSpec> v) {
            tasks = new ArrayList<>(v);
            return this;
        }

        public Builder maxHistory(int v) {
            maxHistory = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public ModelConfig build() {
            return new ModelConfig(type, embeddingDim, attentionHidden, attentionActivation, attentionSoftmax, mlpHidden,
                    mlpActivation, levels, specificExperts, sharedExperts, expertHidden, towerHidden, expertActivation,
                    gate, tasks, maxHistory, seed);
        }
    }
}
