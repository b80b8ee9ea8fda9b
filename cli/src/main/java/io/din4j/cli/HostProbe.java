package io.din4j.cli;

import io.din4j.backend.cpu.CpuBackend;
import java.util.Arrays;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.locks.LockSupport;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A fixed piece of vector work timed between the bench's steps, so a run can tell the host's own speed from din4j's.
 *
 * <p>Why: on the 2-vCPU cloud hosts this project is measured on, the same vectorised loop over 256 KB (C, gcc -O3,
 * both vCPUs busy) took 4 to 7 ms from one 100 ms window to the next, and over 32 MB 18 to 40 ms, while a scalar
 * dependency chain held within 3%: neighbours on the physical cores move vector and cache throughput, not latency. A
 * bench run that lands in a slow phase is slower for reasons no change to din4j can remove; the probe's spread says
 * when that happened. The work: {@code y = a·x + y} over {@value #FLOATS} floats (64 KB each, in L2), {@value #PASSES}
 * passes, on as many threads as the backend computes with (the calling thread and helpers started together), about a
 * third of a millisecond at full speed; its time is the slowest thread's. A probe on the calling thread alone missed
 * phases where only the other core was slowed.
 */
final class HostProbe implements AutoCloseable {
    static final int FLOATS = 16 * 1024;
    static final int PASSES = 192;
    private static final VectorSpecies<Float> S = CpuBackend.vectorSpecies();

    private final float[][] x;
    private final float[][] y;
    private final Thread[] helpers;
    /** Helpers wait here for the go, then again when done (the caller is a party of both). */
    private final CyclicBarrier start;
    private final CyclicBarrier done;
    private volatile boolean closed;
    /** Each thread's time for the last probe (written before the done barrier, read after it). */
    private final double[] lastMs;
    private double[] ms = new double[64];
    private int count;

    HostProbe(int threads) {
        int n = Math.max(1, threads);
        x = new float[n][FLOATS];
        y = new float[n][FLOATS];
        for (float[] xs : x) {
            for (int i = 0; i < FLOATS; i++) {
                xs[i] = (i % 7) * 1e-3f;
            }
        }
        lastMs = new double[n];
        start = new CyclicBarrier(n);
        done = new CyclicBarrier(n);
        helpers = new Thread[n - 1];
        for (int h = 0; h < helpers.length; h++) {
            int lane = h + 1;
            helpers[h] = new Thread(() -> {
                try {
                    while (true) {
                        start.await();
                        if (closed) {
                            return;
                        }
                        timedWork(lane);
                        done.await();
                    }
                } catch (InterruptedException | BrokenBarrierException e) {
                    // closed
                }
            }, "din4j-bench-probe-" + lane);
            helpers[h].setDaemon(true);
            helpers[h].start();
        }
    }

    /**
     * Runs the work once on every thread and returns the slowest thread's milliseconds (not recorded). Each thread
     * times its own work, so waking the helpers is not in the figure. It first waits half a millisecond: the cpu
     * backend's workers spin briefly after a step before they park, and a probe that ran while they spun shared the
     * cores with them.
     */
    double run() {
        LockSupport.parkNanos(500_000);
        try {
            start.await();
            double own = timedWork(0);
            done.await();
            double slowest = own;
            for (int h = 1; h < lastMs.length; h++) {
                slowest = Math.max(slowest, lastMs[h]);
            }
            return slowest;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing the host", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("a host-probe thread stopped", e);
        }
    }

    private double timedWork(int lane) {
        long t0 = System.nanoTime();
        work(x[lane], y[lane]);
        double t = (System.nanoTime() - t0) / 1e6;
        lastMs[lane] = t;
        return t;
    }

    private static void work(float[] x, float[] y) {
        float a = 0.999f;
        for (int p = 0; p < PASSES; p++) {
            FloatVector av = FloatVector.broadcast(S, a);
            int i = 0;
            for (; i + S.length() <= FLOATS; i += S.length()) {
                FloatVector.fromArray(S, x, i).fma(av, FloatVector.fromArray(S, y, i)).intoArray(y, i);
            }
            for (; i < FLOATS; i++) {
                y[i] = Math.fma(x[i], a, y[i]);
            }
            // The sign of a alternates, so y returns to where it was every two passes: no pass meets denormals or
            // infinities, which would run at another speed.
            a = -a;
        }
    }

    /** Runs the work once and records its time. */
    void record() {
        if (count == ms.length) {
            ms = Arrays.copyOf(ms, count * 2);
        }
        ms[count++] = run();
    }

    /** The recorded times, in the order they ran. */
    double[] times() {
        return Arrays.copyOf(ms, count);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread h : helpers) {
            h.interrupt();
        }
    }
}
