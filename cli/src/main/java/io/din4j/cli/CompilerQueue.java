package io.din4j.cli;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * How much work HotSpot's optimising compiler (C2) has before it: the methods in its queue plus those it is
 * compiling now, read from the {@code Compiler.queue} diagnostic command (what {@code jcmd PID Compiler.queue}
 * prints). The warm-up of {@code din4j train} uses it to tell a compiler that is still catching up from one that
 * is idle ({@link Training#warmedUp}); {@code CompilationMXBean}'s total compile time only says that something was
 * compiled, not what is left.
 *
 * <p>The command's text is not a stable interface; where it cannot be run or read (another JVM, a security
 * manager, a changed format) {@link #c2Waiting} answers −1 and the caller goes on without it.
 */
final class CompilerQueue {
    private static final String C2_QUEUE = "C2 compile queue:";

    private CompilerQueue() {
    }

    /** Methods C2 is compiling or has queued, or −1 where that cannot be read in this JVM. */
    static int c2Waiting() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            Object text = server.invoke(name, "compilerQueue", new Object[] {null}, new String[] {String[].class.getName()});
            return text instanceof String s ? count(s) : -1;
        } catch (Exception | LinkageError e) {
            return -1;
        }
    }

    /**
     * Counts C2's entries in the text of {@code Compiler.queue}: the "C2 CompilerThread" lines under "Current
     * compiles", and the lines of the "C2 compile queue" section (which says "Empty" when there are none). −1 when
     * the text has no C2 queue section at all (a JVM without C2, or another format).
     */
    static int count(String text) {
        int at = text.indexOf(C2_QUEUE);
        if (at < 0) {
            return -1;
        }
        int waiting = 0;
        for (String line : text.substring(0, at).split("\n")) {
            if (line.trim().startsWith("C2 CompilerThread")) {
                waiting++;
            }
        }
        for (String line : text.substring(at + C2_QUEUE.length()).split("\n")) {
            String s = line.trim();
            if (s.isEmpty() || s.equals("Empty")) {
                continue;
            }
            if (s.endsWith(":")) {
                break;  // a later section
            }
            waiting++;
        }
        return waiting;
    }
}
