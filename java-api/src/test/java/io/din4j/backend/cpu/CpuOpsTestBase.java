package io.din4j.backend.cpu;

import io.din4j.backend.Backend;
import io.din4j.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A two-thread cpu backend (so every parallel split runs) and the reference it is compared with. */
abstract class CpuOpsTestBase {
    static final Backend REF = new ReferenceBackend();
    static Backend cpu;

    @BeforeAll
    static void startCpu() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stopCpu() {
        cpu.close();
    }
}
