package io.din4j.backend;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A cpu backend (two threads, so the per-worker partial sums are exercised) and the reference, per test class. */
abstract class CpuVsReference {
    static Backend cpu;
    static Backend ref;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
        ref = new ReferenceBackend();
    }

    @AfterAll
    static void close() {
        cpu.close();
        ref.close();
    }
}
