package io.din4j.cli;

import io.din4j.data.DataException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code din4j} command-line tool. Exit codes: 0 success, 1 an error in data or files, 2 a bad command line.
 * Every error is one line on stderr; {@code --debug} adds the stack trace.
 */
@Command(name = "din4j", mixinStandardHelpOptions = true, version = "din4j 0.1.0",
        description = "Deep Interest Network and PLE click-through-rate models: train, evaluate, explain, serve.",
        subcommands = {GenerateCommand.class, PrepareCommand.class, TrainCommand.class, EvalCommand.class,
                PredictCommand.class, ExplainCommand.class, InspectCommand.class, BenchCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Run 'din4j <command> --help' for a command's flags and examples. Start with: din4j demo"})
public final class Main implements Runnable {
    /** Exit code of errors in data, files or models. */
    static final int DATA_ERROR = 1;
    /** Exit code of a bad command line. */
    static final int USAGE_ERROR = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool in this JVM with the given streams (what tests call); returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        LOG_LINES.route(err);
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            String message = ex.getMessage();
            // picocli's "Unmatched argument at index 0" means, at the top level, a command name that does not exist.
            if (c == cl && ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().getFirst().startsWith("-")) {
                message = "'" + u.getUnmatched().getFirst() + "' is not a command";
            }
            err.println(c.getCommandSpec().qualifiedName() + ": " + message + " (see " + c.getCommandSpec().qualifiedName() + " --help)");
            if (isDebug(args)) {
                ex.printStackTrace(err);
            }
            return USAGE_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            boolean debug = isDebug(args);
            err.println("din4j: " + describe(ex) + (debug || isUserError(ex) ? "" : " (run again with --debug for the stack trace)"));
            if (debug) {
                ex.printStackTrace(err);
            }
            return ex instanceof CommandLine.ParameterException ? USAGE_ERROR : DATA_ERROR;
        });
        try {
            return cl.execute(args);
        } catch (ExceptionInInitializerError e) {
            // A class that reads a setting once, at start-up, found it bad: the backend's -Ddin4j.cpu.vectorBits or
            // vectorRegisters given through DIN4J_JAVA_OPTS. Its message names the property; a JVM setting is a
            // usage error like a bad option, not a fault to trace.
            Throwable cause = e.getCause() == null ? e : e.getCause();
            boolean setting = cause instanceof IllegalArgumentException;
            err.println("din4j: " + (setting ? cause.getMessage() + " (a JVM setting: check DIN4J_JAVA_OPTS)" : describe(cause))
                    + (isDebug(args) || setting ? "" : " (run again with --debug for the stack trace)"));
            if (isDebug(args)) {
                e.printStackTrace(err);
            }
            return setting ? USAGE_ERROR : DATA_ERROR;
        } catch (OutOfMemoryError e) {
            // The launcher caps the heap for the job (docs/cli.md#memory-a-run-needs): say how to raise it instead of a trace.
            err.println("din4j: out of memory (" + e.getMessage() + ", Java heap limit " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MB): raise it with DIN4J_HEAP, e.g. DIN4J_HEAP=4g ./din4j ... (docs/cli.md#memory-a-run-needs)");
            if (isDebug(args)) {
                e.printStackTrace(err);
            }
            return DATA_ERROR;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static final OneLineLog LOG_LINES = new OneLineLog();

    /** Library log records (e.g. which backend {@code auto} chose) as single "din4j: ..." lines on stderr. */
    private static final class OneLineLog extends Handler {
        private volatile PrintStream err = System.err;
        private boolean installed;

        synchronized void route(PrintStream to) {
            err = to;
            if (!installed) {
                Logger root = Logger.getLogger("");
                for (Handler h : root.getHandlers()) {
                    root.removeHandler(h);
                }
                root.addHandler(this);
                installed = true;
            }
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
                err.println("din4j: " + new SimpleFormatter().formatMessage(r));
            }
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
        }
    }

    private static boolean isDebug(String[] args) {
        for (String a : args) {
            if (a.equals("--debug")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isUserError(Throwable e) {
        return e instanceof UserError || e instanceof DataException || e instanceof IOException
                || e instanceof UncheckedIOException || e instanceof IllegalArgumentException;
    }

    /** One line saying what went wrong, in the user's terms. */
    static String describe(Throwable e) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (t instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        if (t instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (t instanceof FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        }
        if (t instanceof UserError || t instanceof DataException || t instanceof IllegalArgumentException) {
            return oneLine(t.getMessage());
        }
        if (t instanceof IOException) {
            return "I/O error: " + oneLine(t.getMessage());
        }
        return "internal error: " + t + (t.getStackTrace().length > 0 ? " at " + t.getStackTrace()[0] : "");
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
