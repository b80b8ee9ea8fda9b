package io.din4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr (samples/s, loss, ETA), redrawn in place on a terminal. When stderr is not a
 * terminal (a log file, a test) it stays silent, so logs hold only the per-epoch lines.
 */
final class ProgressBar {
    private static final int WIDTH = 24;
    private final PrintWriter err;
    private final boolean interactive;
    private final long total;
    private final int epochs;
    private final String name;
    private long lastDraw;
    private int lastLength;

    /** @param total samples per epoch, or 0 when unknown (no percentage nor ETA) */
    ProgressBar(String name, PrintWriter err, boolean interactive, long total, int epochs) {
        this.name = name;
        this.err = err;
        this.interactive = interactive;
        this.total = total;
        this.epochs = epochs;
    }

    /** Whether stderr is a terminal. */
    static boolean stderrIsTerminal() {
        return System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    void update(int epoch, long done, double samplesPerSecond, double loss) {
        if (!interactive) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s epoch %d/%d ", name, epoch + 1, epochs));
        if (total > 0) {
            double f = Math.min(1, done / (double) total);
            int fill = (int) Math.round(f * WIDTH);
            sb.append('[').append("=".repeat(fill)).append(fill < WIDTH ? ">" : "").append(" ".repeat(Math.max(0, WIDTH - fill - 1))).append("] ");
            sb.append(String.format(Locale.ROOT, "%3.0f%% ", 100 * f));
        } else {
            sb.append(String.format(Locale.ROOT, "%,d samples ", done));
        }
        sb.append(String.format(Locale.ROOT, "%,.0f samples/s  loss %.4f", samplesPerSecond, loss));
        if (total > 0 && samplesPerSecond > 0) {
            sb.append("  ETA ").append(clock((total - Math.min(done, total)) / samplesPerSecond));
        }
        int pad = Math.max(0, lastLength - sb.length());
        lastLength = sb.length();
        err.print("\r" + sb + " ".repeat(pad));
        err.flush();
    }

    /** Clears the bar so that the next line starts clean. */
    void clear() {
        if (interactive && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
