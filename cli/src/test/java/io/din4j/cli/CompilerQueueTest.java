package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Reading C2's backlog from the text of {@code jcmd PID Compiler.queue} (CompilerQueue). */
class CompilerQueueTest {
    @Test
    void countsWhatC2IsCompilingAndWhatItHasQueued() {
        String text = """
                Current compiles:\s
                C2 CompilerThread0   514       4       jdk.internal.util.xml.impl.Parser::step (891 bytes)
                C1 CompilerThread0   520       3       java.lang.String::hashCode (60 bytes)

                C1 compile queue:
                 530       3       java.util.ArrayList::add (25 bytes)

                C2 compile queue:
                 525       4       jdk.internal.util.xml.impl.Parser::bname (354 bytes)
                 526       4       java.util.Arrays::copyOfRange (82 bytes)

                """;
        assertEquals(3, CompilerQueue.count(text), "one compiling, two queued; C1's own work is not counted");
    }

    @Test
    void anEmptyQueueAndAnIdleCompilerCountNothing() {
        String text = """
                Current compiles:\s

                C1 compile queue:
                Empty

                C2 compile queue:
                Empty

                """;
        assertEquals(0, CompilerQueue.count(text));
    }

    @Test
    void aTextWithoutAC2QueueIsUnreadable() {
        assertEquals(-1, CompilerQueue.count("Current compiles: \n\nC1 compile queue:\nEmpty\n"));
        assertEquals(-1, CompilerQueue.count(""));
    }

    @Test
    void thisJvmAnswersWithACountOrSaysItCannot() {
        int waiting = CompilerQueue.c2Waiting();
        assertTrue(waiting >= -1, "got " + waiting);
    }
}
