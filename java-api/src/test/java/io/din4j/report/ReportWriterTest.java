package io.din4j.report;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportWriterTest {
    /** A report with random numbers of the right shapes; what is asserted is derived from these inputs. */
    static TrainingReport sample(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TrainingReport r = new TrainingReport("Report <&> test").setting("train", "a.csv").setting("epochs", 3).baseline("base");
        for (String model : List.of("din", "base", "din-ple")) {
            List<String> tasks = model.equals("din-ple") ? List.of("click", "conversion") : List.of("click");
            List<TrainingReport.Epoch> eps = new java.util.ArrayList<>();
            for (int e = 0; e < 3; e++) {
                double[] l = rnd.doubles(tasks.size(), 0.3, 0.7).toArray();
                double[] a = rnd.doubles(tasks.size(), 0.6, 0.9).toArray();
                double[] g = rnd.doubles(tasks.size(), 0.6, 0.9).toArray();
                eps.add(new TrainingReport.Epoch(e, l, a, g, l, 2.5, 12345));
            }
            r.curve(new TrainingReport.Curve(model, tasks, eps));
            for (String t : tasks) {
                r.result(new TrainingReport.Result(model, t, rnd.nextDouble(0.6, 0.9), rnd.nextDouble(0.6, 0.9), 0.5, 1000));
            }
        }
        r.result(new TrainingReport.Result("din-ple", "late", 0.7, 0.7, 0.5, 10));
        for (int u = 0; u < 4; u++) {
            int t = u == 0 ? 0 : 3 + u * 5;
            List<String> items = java.util.stream.IntStream.range(0, t).mapToObj(i -> "i" + i).toList();
            List<String> cats = java.util.stream.IntStream.range(0, t).mapToObj(i -> "c" + (i % 3)).toList();
            r.attention(new TrainingReport.Attention("din", "u" + u, "i9", "c1", 1, 0.8, items, cats, rnd.doubles(t, 0, 2).toArray()));
        }
        r.gate(new TrainingReport.Gate("din-ple", "click", 0, List.of("click #1", "shared #1"), new double[] {0.3, 0.7}));
        r.gate(new TrainingReport.Gate("din-ple", "conversion", 0, List.of("conversion #1", "shared #1"), new double[] {0.6, 0.4}));
        r.gate(new TrainingReport.Gate("din-ple", "shared", 0, List.of("click #1", "conversion #1", "shared #1"), new double[] {0.2, 0.3, 0.5}));
        return r;
    }

    private static Document parse(String html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    private static Element section(Document d, String id) {
        NodeList ss = d.getElementsByTagName("section");
        for (int i = 0; i < ss.getLength(); i++) {
            Element e = (Element) ss.item(i);
            if (e.getAttribute("id").equals(id)) {
                return e;
            }
        }
        throw new AssertionError("no section '" + id + "'");
    }

    @Test
    void reportIsWellFormedSelfContainedAndHasEverySection() throws Exception {
        TrainingReport r = sample(5);
        String html = ReportWriter.render(r);
        Document d = parse(html);
        assertEquals("Report <&> test", d.getElementsByTagName("title").item(0).getTextContent());
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.replace("http://www.w3.org/", "").contains("http"), "no external references");

        Element curves = section(d, "curves");
        assertEquals(3, curves.getElementsByTagName("svg").getLength(), "loss, AUC and GAUC charts");
        int series = 0;
        int points = 0;
        for (TrainingReport.Curve c : r.curves()) {
            series += c.tasks().size();
            points += c.tasks().size() * c.epochs().size();
        }
        assertEquals(3 * series, curves.getElementsByTagName("polyline").getLength());
        assertEquals(3 * points, curves.getElementsByTagName("circle").getLength());

        Element cmp = section(d, "comparison");
        NodeList rows = cmp.getElementsByTagName("tr");
        assertEquals(r.results().size() + 1, rows.getLength());
        assertTrue(rows.item(2).getTextContent().endsWith("+0.00%"), "the baseline's RelaImpr is 0: " + rows.item(2).getTextContent());
        assertTrue(rows.item(rows.getLength() - 1).getTextContent().endsWith("–"), "no baseline for task 'late'");

        Element att = section(d, "attention");
        int cells = 0;
        int matches = 0;
        for (TrainingReport.Attention a : r.attention()) {
            cells += a.weights().length;
            for (String c : a.historyCategories()) {
                matches += c.equals(a.candidateCategory()) ? 1 : 0;
            }
        }
        NodeList rects = att.getElementsByTagName("rect");
        assertEquals(cells, rects.getLength());
        int outlined = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            outlined += ((Element) rects.item(i)).hasAttribute("stroke") ? 1 : 0;
        }
        assertEquals(matches, outlined);
        assertTrue(att.getTextContent().contains("(empty history)"));

        Element gates = section(d, "gates");
        NodeList gr = gates.getElementsByTagName("rect");
        int gateCells = r.gates().stream().mapToInt(g -> g.experts().size()).sum();
        assertEquals(gateCells, gr.getLength());
        assertTrue(gates.getTextContent().contains("0.70"), "gate weight printed in its cell");
        NodeList texts = ((Element) gates.getElementsByTagName("svg").item(0)).getElementsByTagName("text");
        List<String> columns = List.of(texts.item(1).getTextContent(), texts.item(2).getTextContent(), texts.item(3).getTextContent());
        assertEquals(List.of("click #1", "conversion #1", "shared #1"), columns, "expert columns in the shared gate's order");
    }

    @Test
    void emptySectionsExplainThemselves() throws Exception {
        Document d = parse(ReportWriter.render(new TrainingReport("empty")));
        for (String id : List.of("settings", "curves", "comparison", "attention", "gates")) {
            assertNotNull(section(d, id));
        }
        assertTrue(section(d, "gates").getTextContent().contains("No model with gates"));
    }

    @Test
    void colourRampRunsFromLightToDark() {
        assertEquals("#f7fbff", ReportWriter.ramp(0));
        assertEquals("#08306b", ReportWriter.ramp(1));
        assertEquals("#08306b", ReportWriter.ramp(7));
        assertEquals("#f7fbff", ReportWriter.ramp(Double.NaN));
    }
}
