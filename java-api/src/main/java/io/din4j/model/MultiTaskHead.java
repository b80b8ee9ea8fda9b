package io.din4j.model;

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
 * The multi-task part shared by PLE, CGC, MMoE, shared-bottom and DIN+PLE: from one input vector x to one logit
 * per task.
 *
 * <p><b>PLE</b> (Tang et al. 2020, §4.3): level l has, per task k, {@code m_k} specific experts reading the task's
 * input {@code x_k^l}, and {@code m_s} shared experts reading the shared input {@code x_s^l} (at level 0 every input
 * is x). Experts are MLPs ({@code expertHidden}, ReLU by default). Task k's gate mixes its own and the shared
 * experts, {@code x_k^{l+1} = Σ_e softmax(W_k^l·x_k^l + b)_e · E_e} (eq. 4–5); on every level but the last a
 * shared gate mixes <i>all</i> experts of the level into {@code x_s^{l+1}} (Fig. 5). Tower k (an MLP with
 * {@code towerHidden}, then one logit) reads {@code x_k^L}. <b>CGC</b> is one level; <b>MMoE</b> is one level
 * without specific experts; <b>shared-bottom</b> is one MLP ({@code expertHidden}) under the towers.
 *
 * <p>Experts that read the same input share one wide first layer: level 0's experts all read x, so their first
 * layers are one {@code [E·h_0, in]} GEMM ({@code ple.level0.experts.fc0.weight}, rows {@code e·h_0 ..} belong to
 * expert e); at later levels each task's experts and the shared experts form one group each
 * ({@code ple.level<l>.experts.<task|shared>.fc0.weight}). Later expert layers are per expert:
 * {@code ple.level<l>.expert<e>.fc<j>}. Expert e's index within a level: task 0's experts first, then task 1's,
 * ..., the shared experts last. Gates: {@code ple.level<l>.gate.<task|shared>.weight [E, in]} and {@code .bias [E]}.
 */
final class MultiTaskHead {
    private final ModelConfig config;
    private final List<String> tasks;
    private final Mlp bottom;
    private final List<Level> levels = new ArrayList<>();
    private final List<Mlp> towers = new ArrayList<>();

    /** Logits per task ({@code [B, 1]}) and gate probabilities keyed {@code <task>@<level>} / {@code shared@<level>}. */
    public record Result(List<Buf> logits, Map<String, Buf> gates) {
    }

    private record Group(String name, int first, int count, Mlp wide, List<Mlp> rest) {
    }

    private record Gate(String name, Param w, Param b, int[] selected) {
    }

    private record Level(int index, List<Group> groups, int experts, List<Gate> taskGates, Gate sharedGate) {
    }

    public MultiTaskHead(ModelConfig config, ParamStore ps, int inWidth) {
        this.config = config;
        this.tasks = config.tasks().stream().map(ModelConfig.TaskSpec::name).toList();
        int[] eh = config.expertHidden();
        int h = eh[eh.length - 1];
        if (config.type() == ModelConfig.Type.SHARED_BOTTOM) {
            bottom = new Mlp(ps, "bottom", 0, inWidth, eh, config.expertActivation(), 0, config.seed());
        } else {
            bottom = null;
            int k = tasks.size();
            int mk = config.taskExperts();
            int ms = config.sharedExperts();
            int total = k * mk + ms;
            int nLevels = config.effectiveLevels();
            for (int l = 0; l < nLevels; l++) {
                int in = l == 0 ? inWidth : h;
                String lp = "ple.level" + l;
                List<Group> groups = new ArrayList<>();
                if (l == 0) {
                    groups.add(group(ps, lp, lp + ".experts", 0, total, in, eh));
                } else {
                    for (int t = 0; t < k && mk > 0; t++) {
                        groups.add(group(ps, lp, lp + ".experts." + tasks.get(t), t * mk, mk, in, eh));
                    }
                    if (ms > 0) {
                        groups.add(group(ps, lp, lp + ".experts.shared", k * mk, ms, in, eh));
                    }
                }
                List<Gate> gates = new ArrayList<>();
                for (int t = 0; t < k; t++) {
                    int[] sel = new int[mk + ms];
                    for (int i = 0; i < mk; i++) {
                        sel[i] = t * mk + i;
                    }
                    for (int i = 0; i < ms; i++) {
                        sel[mk + i] = k * mk + i;
                    }
                    gates.add(gate(ps, lp + ".gate." + tasks.get(t), in, sel));
                }
                Gate shared = null;
                if (l < nLevels - 1) {
                    int[] all = new int[total];
                    Arrays.setAll(all, i -> i);
                    shared = gate(ps, lp + ".gate.shared", in, all);
                }
                levels.add(new Level(l, groups, total, gates, shared));
            }
        }
        for (String t : tasks) {
            towers.add(new Mlp(ps, "tower." + t, 0, h, config.towerHidden(), config.expertActivation(), 1, config.seed()));
        }
    }

    private Group group(ParamStore ps, String levelPrefix, String name, int first, int count, int in, int[] eh) {
        Mlp wide = new Mlp(ps, name, 0, in, new int[] {count * eh[0]}, config.expertActivation(), 0, config.seed());
        List<Mlp> rest = new ArrayList<>();
        if (eh.length > 1) {
            int[] tail = Arrays.copyOfRange(eh, 1, eh.length);
            for (int e = first; e < first + count; e++) {
                rest.add(new Mlp(ps, levelPrefix + ".expert" + e, 1, eh[0], tail, config.expertActivation(), 0, config.seed()));
            }
        }
        return new Group(name, first, count, wide, rest);
    }

    private Gate gate(ParamStore ps, String name, int in, int[] selected) {
        Param w = ps.dense(name + ".weight", selected.length, in);
        Init.lecun(ps, w, config.seed());
        Param b = ps.dense(name + ".bias", selected.length);
        return new Gate(name, w, b, selected);
    }

    /** Appends the head's ops reading {@code x [B, in]}. */
    public Result apply(Graph g, Buf x) {
        Map<String, Buf> gates = new LinkedHashMap<>();
        List<Buf> xs = new ArrayList<>();
        if (bottom != null) {
            Buf b = bottom.apply(g, x);
            tasks.forEach(t -> xs.add(b));
        } else {
            tasks.forEach(t -> xs.add(x));
            Buf shared = x;
            int h = lastExpertWidth();
            for (Level lv : levels) {
                List<Buf> parts = new ArrayList<>();
                for (Group gr : lv.groups) {
                    Buf in = gr.name.endsWith(".shared") || lv.index == 0 ? shared : xs.get(taskOfGroup(gr));
                    Buf wide = gr.wide.apply(g, in);
                    if (gr.rest.isEmpty()) {
                        parts.add(wide);
                    } else {
                        int[] widths = new int[gr.count];
                        Arrays.fill(widths, config.expertHidden()[0]);
                        List<Buf> each = g.split(gr.name + ".split", wide, widths);
                        for (int e = 0; e < gr.count; e++) {
                            parts.add(gr.rest.get(e).apply(g, each.get(e)));
                        }
                    }
                }
                Buf experts = g.concat("ple.level" + lv.index + ".experts.out", parts);
                // The gates' logits, those of gates that read the same input computed together (all of them at level
                // 0, where every gate reads x).
                List<Gate> levelGates = new ArrayList<>(lv.taskGates);
                List<Buf> inputs = new ArrayList<>(xs);
                if (lv.sharedGate != null) {
                    levelGates.add(lv.sharedGate);
                    inputs.add(shared);
                }
                Buf[] logits = gateLogits(g, lv, levelGates, inputs);
                // Every gate of the level in one op, so that each sample's expert outputs are read once for all
                // of them (GateOps.softmaxMixes).
                List<Buf> mixed = mixes(g, lv, levelGates, logits, experts, gates);
                List<Buf> next = new ArrayList<>(mixed.subList(0, tasks.size()));
                if (lv.sharedGate != null) {
                    shared = mixed.get(tasks.size());
                }
                xs.clear();
                xs.addAll(next);
                assert experts.width() == lv.experts * h;
            }
        }
        List<Buf> logits = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            logits.add(towers.get(t).apply(g, xs.get(t)));
        }
        return new Result(logits, gates);
    }

    /** Each gate's logits {@code [B, E_gate]}, in the order of {@code levelGates}: one product per distinct input. */
    private static Buf[] gateLogits(Graph g, Level lv, List<Gate> levelGates, List<Buf> inputs) {
        Buf[] logits = new Buf[levelGates.size()];
        for (int i = 0; i < levelGates.size(); i++) {
            if (logits[i] != null) {
                continue;
            }
            List<Integer> same = new ArrayList<>();
            for (int j = i; j < levelGates.size(); j++) {
                if (inputs.get(j) == inputs.get(i)) {
                    same.add(j);
                }
            }
            List<String> names = same.stream().map(j -> levelGates.get(j).name).toList();
            List<Param> ws = same.stream().map(j -> levelGates.get(j).w).toList();
            List<Param> bs = same.stream().map(j -> levelGates.get(j).b).toList();
            List<Buf> ys = g.linears("ple.level" + lv.index + ".gates", names, inputs.get(i), ws, bs);
            for (int k = 0; k < same.size(); k++) {
                logits[same.get(k)] = ys.get(k);
            }
        }
        return logits;
    }

    private List<Buf> mixes(Graph g, Level lv, List<Gate> levelGates, Buf[] logits, Buf experts, Map<String, Buf> gates) {
        List<String> names = new ArrayList<>();
        List<int[]> selected = new ArrayList<>();
        List<Buf> probs = new ArrayList<>();
        for (int i = 0; i < levelGates.size(); i++) {
            Gate gt = levelGates.get(i);
            Buf p = g.buf(gt.name + ".probs", Graph.Extent.BATCH, gt.selected.length);
            gates.put((i < tasks.size() ? tasks.get(i) : "shared") + "@" + lv.index, p);
            names.add(gt.name + ".mix");
            selected.add(gt.selected);
            probs.add(p);
        }
        return g.gateMixes("ple.level" + lv.index + ".gates.mix", names, Arrays.asList(logits), experts, lv.experts, selected,
                probs);
    }

    private int taskOfGroup(Group gr) {
        int mk = config.taskExperts();
        return gr.first / mk;
    }

    private int lastExpertWidth() {
        int[] eh = config.expertHidden();
        return eh[eh.length - 1];
    }

    /** Levels built (0 for shared-bottom). */
    public int levels() {
        return levels.size();
    }
}
