package io.din4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns: text columns left, numbers right. */
final class TextTable {
    private final List<String[]> rows = new ArrayList<>();

    TextTable(String... header) {
        rows.add(header);
    }

    TextTable row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int n = rows.get(0).length;
        int[] w = new int[n];
        boolean[] numeric = new boolean[n];
        java.util.Arrays.fill(numeric, true);
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < n; c++) {
                String s = c < rows.get(r).length ? rows.get(r)[c] : "";
                w[c] = Math.max(w[c], s.length());
                if (r > 0 && !s.isEmpty() && !s.matches("[-+]?[0-9.,]+%?|–")) {
                    numeric[c] = false;
                }
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < n; c++) {
                String s = c < rows.get(r).length ? rows.get(r)[c] : "";
                String pad = " ".repeat(w[c] - s.length());
                sb.append(c == 0 ? "" : "  ").append(numeric[c] && r > 0 ? pad + s : s + pad);
            }
            out.println(sb.toString().stripTrailing());
            if (r == 0) {
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < n; c++) {
                    line.append(c == 0 ? "" : "  ").append("-".repeat(w[c]));
                }
                out.println(line);
            }
        }
        out.flush();
    }
}
