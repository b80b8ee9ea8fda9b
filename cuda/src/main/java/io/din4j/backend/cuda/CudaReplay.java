package io.din4j.backend.cuda;

import io.din4j.backend.SparseGrad;
import io.din4j.backend.StepReplay;
import io.din4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cuda backend's {@link StepReplay}: regions recorded as CUDA graphs by stream capture ({@link Device#beginCapture})
 * and replayed with one {@code cuGraphLaunch}, and optimizer updates reading their scalars on the device.
 *
 * <p>Per key: the first call runs eagerly (sizing scratch buffers, uploading gate expert lists, opting kernels in to
 * shared memory: the things a capture cannot do), the second records the region and launches the recording, later
 * ones launch it again and reapply the host effects the backend's objects recorded ({@link Kernels#hostEffect}). A
 * graph holds raw addresses, so one recorded before any device free is never launched: it is dropped and recorded
 * again (scratch that grows, a session re-planned for longer histories, a closed arena). At most
 * {@link #MAX_GRAPHS} graphs are kept (least recently used dropped). {@code -Ddin4j.cuda.graphs=false} runs every
 * region eagerly (the same kernels, so the same bits).
 *
 * <p>A region holds the backend's op lock throughout: other threads' ops wait rather than interleave with a capture
 * (the backend serialises ops anyway).
 */
final class CudaReplay implements StepReplay {
    /**
     * Whether regions are recorded, by default: {@code -Ddin4j.cuda.graphs}, else yes unless launches are
     * synchronous ({@code -Ddin4j.cuda.syncLaunches=true}, the device check's fault-finding test pass: a fault inside
     * a graph could not be pinned to its kernel, and synchronous launches are a debugging mode graphs need not mix
     * with).
     */
    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("din4j.cuda.graphs",
            String.valueOf(!Boolean.getBoolean("din4j.cuda.syncLaunches"))));
    /** Graphs kept: a trainer uses two per (batch size, history) shape; a few shapes cover a training run's tail batches. */
    static final int MAX_GRAPHS = 8;
    /** Keys remembered as seen once (so the next call records): more than the graphs, still bounded. */
    private static final int MAX_SEEN = 64;

    private final Kernels k;
    private final CudaOptimizerOps opt;
    private final Object lock;
    private final LinkedHashMap<Object, Recording> graphs = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<Object, Boolean> seen = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, Boolean> eldest) {
            return size() > MAX_SEEN;
        }
    };
    private long recordings;
    private volatile boolean enabled = ENABLED;

    /** A graph, the host effects to reapply after it, and the device's free count when it was recorded. */
    private record Recording(long graph, List<Runnable> effects, long frees) {
    }

    CudaReplay(Kernels k, CudaOptimizerOps opt, Object lock) {
        this.k = k;
        this.opt = opt;
        this.lock = lock;
    }

    @Override
    public boolean run(Object key, Runnable work) {
        if (!enabled || key == null) {
            synchronized (lock) {
                work.run();
            }
            return false;
        }
        synchronized (lock) {
            Device d = k.device;
            Recording r = graphs.get(key);
            if (r != null && r.frees() == d.counters().frees()) {
                d.launchGraph(r.graph());
                r.effects().forEach(Runnable::run);
                return true;
            }
            if (r != null) {
                graphs.remove(key);
                d.destroyGraph(r.graph());  // memory it may use was freed since it was recorded
            }
            if (seen.put(key, Boolean.TRUE) == null) {
                work.run();  // first time: eager, so scratch is sized and one-time uploads are done
                return false;
            }
            long frees = d.counters().frees();
            k.startEffects();
            d.beginCapture();
            long g;
            try {
                work.run();
                g = d.endCapture();
            } catch (RuntimeException | Error e) {
                d.abortCapture();
                k.takeEffects();
                throw e;
            }
            List<Runnable> effects = k.takeEffects();  // already applied while recording
            evictFor(d);
            graphs.put(key, new Recording(g, effects, frees));
            recordings++;
            d.launchGraph(g);  // the region's work, which the capture only recorded
            return false;
        }
    }

    /** Makes room for one more graph. */
    private void evictFor(Device d) {
        Iterator<Recording> it = graphs.values().iterator();
        while (graphs.size() >= MAX_GRAPHS && it.hasNext()) {
            d.destroyGraph(it.next().graph());
            it.remove();
        }
    }

    /** Whether this backend records regions now. */
    boolean enabled() {
        return enabled;
    }

    /** Turns recording on or off for this backend (tests compare both on one JVM); off also drops every graph. */
    void setEnabled(boolean on) {
        enabled = on;
        if (!on) {
            free();
        }
    }

    /** Graphs recorded so far (tests: a shape change records again, a repeated shape does not). */
    long recordings() {
        synchronized (lock) {
            return recordings;
        }
    }

    /** Graphs held now. */
    int held() {
        synchronized (lock) {
            return graphs.size();
        }
    }

    /** Destroys every graph (the backend closes). */
    void free() {
        synchronized (lock) {
            List<Recording> all = new ArrayList<>(graphs.values());
            graphs.clear();
            seen.clear();
            for (Recording r : all) {
                k.device.destroyGraph(r.graph());
            }
        }
    }

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor scalars, float weightDecay) {
        synchronized (lock) {
            opt.sgd(param, grad, scalars, weightDecay);
        }
    }

    @Override
    public void adagrad(Tensor param, Tensor grad, Tensor accum, Tensor scalars, float eps) {
        synchronized (lock) {
            opt.adagrad(param, grad, accum, scalars, eps);
        }
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps) {
        synchronized (lock) {
            opt.adam(param, grad, m, v, scalars, beta1, beta2, eps);
        }
    }

    @Override
    public void sgdSparse(Tensor table, SparseGrad grad, Tensor scalars) {
        synchronized (lock) {
            opt.sgdSparse(table, grad, scalars);
        }
    }

    @Override
    public void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, Tensor scalars, float eps) {
        synchronized (lock) {
            opt.adagradSparse(table, grad, accum, scalars, eps);
        }
    }

    @Override
    public void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps) {
        synchronized (lock) {
            opt.adamSparse(table, grad, m, v, scalars, beta1, beta2, eps);
        }
    }

    @Override
    public void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, Tensor scalars) {
        synchronized (lock) {
            opt.mbaRegularize(table, grad, frequency, scalars);
        }
    }
}
