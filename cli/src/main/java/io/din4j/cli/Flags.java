package io.din4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Messages for bad flag values, naming the flag. */
final class Flags {
    private Flags() {
    }

    static CommandLine.ParameterException bad(CommandSpec spec, String flag, Object value, String expected) {
        return new CommandLine.ParameterException(spec.commandLine(), flag + ": '" + value + "' is not valid (expected " + expected + ")");
    }

    static CommandLine.ParameterException bad(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static void atLeast(CommandSpec spec, String flag, long value, long min) {
        if (value < min) {
            throw bad(spec, flag, value, "an integer >= " + min);
        }
    }
}
