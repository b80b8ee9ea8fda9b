package io.din4j.report;

import io.din4j.metrics.Gauc;
import io.din4j.metrics.RelaImpr;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Renders a {@link TrainingReport} as one self-contained HTML page: inline CSS and SVG, no scripts, no external
 * references, so it reads offline and can be mailed. The page is well-formed XHTML (tests parse it as XML).
 *
 * <p>Sections (element ids): {@code settings}, {@code curves} (loss, AUC and GAUC per epoch, per model and task),
 * {@code comparison} (final test metrics with RelaImpr against the baseline), {@code attention} (history × weight
 * heat map per sample, candidate-category matches outlined) and {@code gates} (mean gate probability per expert).
 */
public final class ReportWriter {
    private static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    private static final int W = 660;
    private static final int H = 280;
    private static final int LEFT = 64;
    private static final int RIGHT = 170;
    private static final int TOP = 30;
    private static final int BOTTOM = 44;

    private final StringBuilder out = new StringBuilder(1 << 16);

    private ReportWriter() {
    }

    public static void write(TrainingReport report, Writer w) throws IOException {
        w.write(render(report));
    }

    public static String render(TrainingReport report) {
        ReportWriter r = new ReportWriter();
        r.page(report);
        return r.out.toString();
    }

    private void page(TrainingReport r) {
        out.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>")
                .append(esc(r.title())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}\n")
                .append("h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:2em}\n")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}\n")
                .append("th{background:#f4f4f4}td.l,th.l{text-align:left}p.note{color:#555;font-size:.92em;max-width:860px}\n")
                .append("svg{display:block;margin:8px 0}svg text{font-family:inherit}\n")
                .append("</style>\n</head>\n<body>\n<h1>").append(esc(r.title())).append("</h1>\n");
        settings(r);
        curves(r);
        comparison(r);
        attention(r);
        gates(r);
        out.append("</body>\n</html>\n");
    }

    private void settings(TrainingReport r) {
        out.append("<section id=\"settings\">\n<h2>Settings</h2>\n<table>\n");
        r.settings().forEach((k, v) -> out.append("<tr><th class=\"l\">").append(esc(k)).append("</th><td class=\"l\">").append(esc(v)).append("</td></tr>\n"));
        out.append("</table>\n</section>\n");
    }

    private record Series(String name, String color, boolean dashed, double[] y) {
    }

    private void curves(TrainingReport r) {
        out.append("<section id=\"curves\">\n<h2>Learning curves</h2>\n");
        if (r.curves().isEmpty()) {
            out.append("<p class=\"note\">No epochs were recorded.</p>\n</section>\n");
            return;
        }
        out.append("<p class=\"note\">Per epoch: mean training loss (binary cross-entropy per task) and, on the validation data, ")
                .append("AUC and GAUC (per-user AUC weighted by impressions, as defined in the DIN paper). Solid lines: first task; dashed: second.</p>\n");
        String[] titles = {"Training loss", "Validation AUC", "Validation GAUC"};
        for (int m = 0; m < 3; m++) {
            List<Series> series = new ArrayList<>();
            int c = 0;
            for (TrainingReport.Curve curve : r.curves()) {
                for (int k = 0; k < curve.tasks().size(); k++) {
                    double[] y = new double[curve.epochs().size()];
                    for (int e = 0; e < y.length; e++) {
                        TrainingReport.Epoch ep = curve.epochs().get(e);
                        y[e] = (m == 0 ? ep.trainLoss() : m == 1 ? ep.auc() : ep.gauc())[k];
                    }
                    String name = curve.model() + (curve.tasks().size() > 1 ? " · " + curve.tasks().get(k) : "");
                    series.add(new Series(name, PALETTE[c % PALETTE.length], k > 0, y));
                }
                c++;
            }
            lineChart(titles[m], series);
        }
        out.append("<table>\n<tr><th class=\"l\">model</th><th>epoch</th><th class=\"l\">task</th><th>train loss</th><th>AUC</th><th>GAUC</th><th>logloss</th><th>seconds</th><th>samples/s</th></tr>\n");
        for (TrainingReport.Curve curve : r.curves()) {
            for (TrainingReport.Epoch ep : curve.epochs()) {
                for (int k = 0; k < curve.tasks().size(); k++) {
                    boolean kept = ep.epoch() == curve.keptEpoch();
                    out.append(kept ? "<tr class=\"kept\"><td class=\"l\">" : "<tr><td class=\"l\">").append(esc(curve.model()))
                            .append("</td><td>").append(ep.epoch() + 1).append(kept ? " (kept)" : "")
                            .append("</td><td class=\"l\">").append(esc(curve.tasks().get(k))).append("</td><td>").append(num(ep.trainLoss()[k]))
                            .append("</td><td>").append(num(ep.auc()[k])).append("</td><td>")
                            .append(gauc(ep.gauc()[k], ep.gaucReason() == null ? null : ep.gaucReason()[k]))
                            .append("</td><td>").append(num(ep.logloss()[k])).append("</td><td>").append(k == 0 ? fmt("%.1f", ep.seconds()) : "")
                            .append("</td><td>").append(k == 0 ? fmt("%,.0f", ep.samplesPerSecond()) : "").append("</td></tr>\n");
                }
            }
        }
        out.append("</table>\n");
        for (TrainingReport.Curve curve : r.curves()) {
            if (curve.keptEpoch() >= 0) {
                out.append("<p class=\"kept-epoch\">").append(esc(curve.model())).append(": the model keeps the weights of epoch ")
                        .append(curve.keptEpoch() + 1).append(" of ").append(curve.epochs().size())
                        .append(curve.keptEpoch() + 1 < curve.epochs().size() ? " (early stopping: the best validation epoch)" : "")
                        .append(".</p>\n");
            }
        }
        out.append("</section>\n");
    }

    private void lineChart(String title, List<Series> series) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int n = 1;
        for (Series s : series) {
            n = Math.max(n, s.y().length);
            for (double v : s.y()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        out.append("<text x=\"").append(LEFT).append("\" y=\"18\" font-size=\"14\" font-weight=\"bold\">").append(esc(title)).append("</text>\n");
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        if (lo > hi) {
            out.append("<text x=\"").append(LEFT).append("\" y=\"").append(TOP + ph / 2).append("\" font-size=\"12\" fill=\"#777\">not measured</text>\n</svg>\n");
            return;
        }
        double pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 0.01);
        lo -= pad;
        hi += pad;
        double step = niceStep((hi - lo) / 5);
        for (double t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) {
            double y = TOP + ph * (hi - t) / (hi - lo);
            out.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + pw).append("\" y1=\"").append(f1(y)).append("\" y2=\"").append(f1(y))
                    .append("\" stroke=\"#e5e5e5\"/>\n<text x=\"").append(LEFT - 6).append("\" y=\"").append(f1(y + 4))
                    .append("\" font-size=\"11\" text-anchor=\"end\">").append(fmt(step < 0.01 ? "%.3f" : "%.2f", t)).append("</text>\n");
        }
        for (int e = 0; e < n; e++) {
            double x = xAt(e, n, pw);
            out.append("<text x=\"").append(f1(x)).append("\" y=\"").append(TOP + ph + 16).append("\" font-size=\"11\" text-anchor=\"middle\">").append(e + 1).append("</text>\n");
        }
        out.append("<text x=\"").append(LEFT + pw / 2).append("\" y=\"").append(H - 8).append("\" font-size=\"11\" text-anchor=\"middle\">epoch</text>\n");
        out.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(pw).append("\" height=\"").append(ph)
                .append("\" fill=\"none\" stroke=\"#999\"/>\n");
        int li = 0;
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            for (int e = 0; e < s.y().length; e++) {
                if (!Double.isFinite(s.y()[e])) {
                    continue;
                }
                double x = xAt(e, n, pw);
                double y = TOP + ph * (hi - s.y()[e]) / (hi - lo);
                pts.append(f1(x)).append(',').append(f1(y)).append(' ');
                out.append("<circle cx=\"").append(f1(x)).append("\" cy=\"").append(f1(y)).append("\" r=\"3\" fill=\"").append(s.color())
                        .append("\"><title>").append(esc(s.name())).append(", epoch ").append(e + 1).append(": ").append(num(s.y()[e])).append("</title></circle>\n");
            }
            if (!pts.isEmpty()) {
                out.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(s.color()).append('"')
                        .append(s.dashed() ? " stroke-dasharray=\"6 4\"" : "").append(" points=\"").append(pts.toString().strip()).append("\"/>\n");
            }
            double ly = TOP + 10 + li * 18;
            int lx = LEFT + pw + 12;
            out.append("<line x1=\"").append(lx).append("\" x2=\"").append(lx + 22).append("\" y1=\"").append(f1(ly)).append("\" y2=\"").append(f1(ly))
                    .append("\" stroke-width=\"2\" stroke=\"").append(s.color()).append('"').append(s.dashed() ? " stroke-dasharray=\"6 4\"" : "")
                    .append("/>\n<text x=\"").append(lx + 28).append("\" y=\"").append(f1(ly + 4)).append("\" font-size=\"11\">").append(esc(s.name())).append("</text>\n");
            li++;
        }
        out.append("</svg>\n");
    }

    private static double xAt(int e, int n, int pw) {
        return n == 1 ? LEFT + pw / 2.0 : LEFT + 16 + (pw - 32) * e / (double) (n - 1);
    }

    private static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    }

    private void comparison(TrainingReport r) {
        out.append("<section id=\"comparison\">\n<h2>Comparison on test data</h2>\n");
        if (r.results().isEmpty()) {
            out.append("<p class=\"note\">No test data was given.</p>\n</section>\n");
            return;
        }
        String base = r.baseline();
        out.append("<p class=\"note\">AUC over all test impressions, GAUC per user weighted by impressions, logloss, and")
                .append(base != null ? " RelaImpr = (AUC − 0.5)/(AUC<sub>" + esc(base) + "</sub> − 0.5) − 1 (the DIN paper's relative improvement)." : " the number of labelled samples.")
                .append("</p>\n<table>\n<tr><th class=\"l\">model</th><th class=\"l\">task</th><th>AUC</th><th>GAUC</th><th>logloss</th><th>samples</th>")
                .append(base != null ? "<th>RelaImpr</th>" : "").append("</tr>\n");
        for (TrainingReport.Result res : r.results()) {
            out.append("<tr><td class=\"l\">").append(esc(res.model())).append("</td><td class=\"l\">").append(esc(res.task()))
                    .append("</td><td>").append(num(res.auc())).append("</td><td>").append(gauc(res.gauc(), res.gaucReason())).append("</td><td>")
                    .append(num(res.logloss())).append("</td><td>").append(res.samples()).append("</td>");
            if (base != null) {
                double baseAuc = Double.NaN;
                for (TrainingReport.Result b : r.results()) {
                    if (b.model().equals(base) && b.task().equals(res.task())) {
                        baseAuc = b.auc();
                    }
                }
                double ri = RelaImpr.percent(res.auc(), baseAuc);
                out.append("<td>").append(Double.isFinite(ri) ? fmt("%+.2f%%", ri) : "–").append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</table>\n");
        barChart(r.results());
        out.append("</section>\n");
    }

    private void barChart(List<TrainingReport.Result> results) {
        int rowH = 22;
        int h = TOP + rowH * results.size() + 30;
        int labelW = 200;
        int pw = W - labelW - 80;
        double lo = 0.5;
        double hi = 0.5;
        for (TrainingReport.Result res : results) {
            if (Double.isFinite(res.auc())) {
                hi = Math.max(hi, res.auc());
            }
        }
        hi = Math.min(1, Math.ceil(hi * 20) / 20 + 0.05);
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"").append(W).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(h).append("\" role=\"img\" aria-label=\"test AUC\">\n")
                .append("<text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Test AUC (axis from 0.5, a random ranking)</text>\n");
        Set<String> models = new LinkedHashSet<>();
        results.forEach(x -> models.add(x.model()));
        List<String> ml = new ArrayList<>(models);
        for (int i = 0; i < results.size(); i++) {
            TrainingReport.Result res = results.get(i);
            double y = TOP + i * rowH;
            double v = Double.isFinite(res.auc()) ? Math.max(lo, res.auc()) : lo;
            double bw = pw * (v - lo) / (hi - lo);
            out.append("<text x=\"").append(labelW - 6).append("\" y=\"").append(f1(y + 15)).append("\" font-size=\"12\" text-anchor=\"end\">")
                    .append(esc(res.model() + " · " + res.task())).append("</text>\n<rect x=\"").append(labelW).append("\" y=\"").append(f1(y + 3))
                    .append("\" width=\"").append(f1(bw)).append("\" height=\"").append(rowH - 6).append("\" fill=\"")
                    .append(PALETTE[ml.indexOf(res.model()) % PALETTE.length]).append("\"/>\n<text x=\"").append(f1(labelW + bw + 6)).append("\" y=\"")
                    .append(f1(y + 15)).append("\" font-size=\"12\">").append(num(res.auc())).append("</text>\n");
        }
        out.append("</svg>\n");
    }

    private void attention(TrainingReport r) {
        out.append("<section id=\"attention\">\n<h2>Attention over user behaviours</h2>\n");
        if (r.attention().isEmpty()) {
            out.append("<p class=\"note\">The model has no attention (BaseModel and the PLE family pool or ignore behaviours without weights).</p>\n</section>\n");
            return;
        }
        out.append("<p class=\"note\">For a few test samples: each row is one user's history, oldest behaviour on the left, shaded by the weight ")
                .append("DIN's local activation unit gave it for the candidate (DIN paper Fig. 5; weights are not normalised, so darker = more ")
                .append("relevant, compared within a row). Cells outlined in red share the candidate's category; the cell text is the ")
                .append("behaviour's category. Hover a cell for the item and its weight.</p>\n");
        Set<String> models = new LinkedHashSet<>();
        r.attention().forEach(a -> models.add(a.model()));
        for (String model : models) {
            List<TrainingReport.Attention> rows = r.attention().stream().filter(a -> a.model().equals(model)).toList();
            heatRows(model, rows);
        }
        out.append("</section>\n");
    }

    private void heatRows(String model, List<TrainingReport.Attention> rows) {
        int maxT = 1;
        for (TrainingReport.Attention a : rows) {
            maxT = Math.max(maxT, a.weights().length);
        }
        int labelW = 250;
        int cell = Math.max(14, Math.min(34, (W + 240 - labelW) / maxT));
        int rowH = 34;
        int w = labelW + cell * maxT + 10;
        int h = 28 + rows.size() * rowH + 10;
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\" aria-label=\"attention of ").append(esc(model)).append("\">\n")
                .append("<text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"bold\">").append(esc(model)).append(": attention weight per behaviour</text>\n");
        for (int i = 0; i < rows.size(); i++) {
            TrainingReport.Attention a = rows.get(i);
            double y = 28 + i * rowH;
            out.append("<text x=\"0\" y=\"").append(f1(y + 13)).append("\" font-size=\"11\">user ").append(esc(a.user())).append(" → item ")
                    .append(esc(a.candidateItem())).append("</text>\n<text x=\"0\" y=\"").append(f1(y + 26)).append("\" font-size=\"11\" fill=\"#555\">category ")
                    .append(esc(a.candidateCategory())).append(", label ").append(Double.isNaN(a.label()) ? "–" : fmt("%.0f", a.label()))
                    .append(", p = ").append(fmt("%.3f", a.probability())).append("</text>\n");
            double max = 0;
            for (double v : a.weights()) {
                max = Math.max(max, Math.abs(v));
            }
            if (a.weights().length == 0) {
                out.append("<text x=\"").append(labelW).append("\" y=\"").append(f1(y + 20)).append("\" font-size=\"11\" fill=\"#777\">(empty history)</text>\n");
            }
            for (int t = 0; t < a.weights().length; t++) {
                double v = max > 0 ? Math.abs(a.weights()[t]) / max : 0;
                boolean match = a.historyCategories().get(t).equals(a.candidateCategory());
                int x = labelW + t * cell;
                out.append("<rect x=\"").append(x).append("\" y=\"").append(f1(y + 2)).append("\" width=\"").append(cell - 1).append("\" height=\"")
                        .append(rowH - 6).append("\" fill=\"").append(ramp(v)).append('"').append(match ? " stroke=\"#d62728\" stroke-width=\"2\"" : "")
                        .append("><title>").append(esc("item " + a.historyItems().get(t) + ", category " + a.historyCategories().get(t)))
                        .append(", weight ").append(fmt("%.4f", a.weights()[t])).append("</title></rect>\n");
                if (cell >= 18) {
                    String label = a.historyCategories().get(t);
                    out.append("<text x=\"").append(f1(x + (cell - 1) / 2.0)).append("\" y=\"").append(f1(y + rowH / 2.0 + 3))
                            .append("\" font-size=\"9\" text-anchor=\"middle\" fill=\"").append(v > 0.55 ? "#fff" : "#222").append("\">")
                            .append(esc(label.length() > 4 ? label.substring(0, 4) : label)).append("</text>\n");
                }
            }
        }
        out.append("</svg>\n");
    }

    private void gates(TrainingReport r) {
        out.append("<section id=\"gates\">\n<h2>PLE gate utilisation</h2>\n");
        if (r.gates().isEmpty()) {
            out.append("<p class=\"note\">No model with gates was trained (PLE, CGC, MMoE and DIN+PLE have them).</p>\n</section>\n");
            return;
        }
        out.append("<p class=\"note\">Mean probability each gate gives each expert over the test data (PLE eq. 4). A task's gate mixes its own ")
                .append("experts with the shared ones; the shared gate of a lower level mixes all experts. An expert no gate uses is wasted capacity; ")
                .append("a task that ignores the shared experts is not learning from the other task.</p>\n");
        Set<String> models = new LinkedHashSet<>();
        r.gates().forEach(g -> models.add(g.model()));
        for (String model : models) {
            List<TrainingReport.Gate> gs = r.gates().stream().filter(g -> g.model().equals(model)).toList();
            // Columns in the order of the gate that sees the most experts (PLE's shared gate sees all of them).
            List<String> experts = new ArrayList<>(gs.stream().max((a, b) -> Integer.compare(a.experts().size(), b.experts().size()))
                    .orElseThrow().experts());
            for (TrainingReport.Gate g : gs) {
                for (String e : g.experts()) {
                    if (!experts.contains(e)) {
                        experts.add(e);
                    }
                }
            }
            int labelW = 150;
            int cw = Math.max(56, Math.min(96, (W + 200 - labelW) / Math.max(1, experts.size())));
            int rowH = 26;
            int w = labelW + cw * experts.size() + 10;
            int h = 56 + rowH * gs.size() + 10;
            out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"").append(w).append("\" height=\"").append(h)
                    .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\" aria-label=\"gates of ").append(esc(model)).append("\">\n")
                    .append("<text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"bold\">").append(esc(model)).append(": gate × expert</text>\n");
            for (int j = 0; j < experts.size(); j++) {
                out.append("<text x=\"").append(f1(labelW + j * cw + cw / 2.0)).append("\" y=\"44\" font-size=\"11\" text-anchor=\"middle\">")
                        .append(esc(experts.get(j))).append("</text>\n");
            }
            for (int i = 0; i < gs.size(); i++) {
                TrainingReport.Gate g = gs.get(i);
                double y = 52 + i * rowH;
                out.append("<text x=\"").append(labelW - 8).append("\" y=\"").append(f1(y + 17)).append("\" font-size=\"12\" text-anchor=\"end\">")
                        .append(esc(g.gate() + " · level " + (g.level() + 1))).append("</text>\n");
                for (int e = 0; e < g.experts().size(); e++) {
                    int j = experts.indexOf(g.experts().get(e));
                    double v = g.meanWeights()[e];
                    out.append("<rect x=\"").append(labelW + j * cw).append("\" y=\"").append(f1(y)).append("\" width=\"").append(cw - 2)
                            .append("\" height=\"").append(rowH - 2).append("\" fill=\"").append(ramp(v)).append("\"><title>")
                            .append(esc(g.gate() + " level " + (g.level() + 1) + " → " + g.experts().get(e))).append(": ").append(fmt("%.3f", v))
                            .append("</title></rect>\n<text x=\"").append(f1(labelW + j * cw + (cw - 2) / 2.0)).append("\" y=\"").append(f1(y + 16))
                            .append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"").append(v > 0.55 ? "#fff" : "#222").append("\">")
                            .append(fmt("%.2f", v)).append("</text>\n");
                }
            }
            out.append("</svg>\n");
        }
        out.append("</section>\n");
    }

    /** White to dark blue for v in [0, 1]. */
    static String ramp(double v) {
        double t = Math.max(0, Math.min(1, Double.isFinite(v) ? v : 0));
        int[][] stops = {{247, 251, 255}, {107, 174, 214}, {8, 48, 107}};
        double s = t * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) s);
        double f = s - i;
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) {
            rgb[c] = (int) Math.round(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
        }
        return String.format(Locale.ROOT, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
    }

    /** A GAUC cell: the value, or "n/a" with the reason it is undefined (e.g. no user has both labels). */
    private static String gauc(double v, String reason) {
        return Double.isFinite(v) ? num(v) : "n/a (" + esc(reason != null ? reason : Gauc.NO_USER_WITH_BOTH_LABELS) + ")";
    }

    private static String num(double v) {
        return Double.isFinite(v) ? fmt("%.4f", v) : "–";
    }

    private static String f1(double v) {
        return fmt("%.1f", v);
    }

    private static String fmt(String f, double v) {
        return String.format(Locale.ROOT, f, v);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t') {
                        b.append(' ');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
