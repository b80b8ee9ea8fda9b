package io.din4j.tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Data a backend derives from one tensor's values (the cpu backend's packed panels of a weight matrix), valid for
 * one <em>version</em> of those values. Attached to a model's parameter tensors by their owner
 * ({@code ParamStore}), which frees it when the model closes.
 *
 * <p>The contract that makes it correct: <b>every writer of the tensor calls {@link #bump()} after writing</b> (the
 * trainer after each optimizer step, model loading, initialisation, the Spark trainer's weight averaging; from
 * outside, {@code Param.changed()}). A reader looks its entry up by key and takes it only when it was computed at
 * the current version, so a lookup costs one map read, not a comparison of the weights.
 *
 * <p>Thread-safe: any number of threads may look up and compute at once (two threads missing together both compute
 * the same value; one is kept). Writing the tensor while another thread reads it is a race of the caller, as for
 * any tensor (see the {@code Backend} contract).
 */
public final class DerivedCache {
    private final AtomicLong version = new AtomicLong();
    private final Map<Object, Entry> entries = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Entry(long version, Object value) {
    }

    /** The current version of the values; starts at 0. */
    public long version() {
        return version.get();
    }

    /** Says that the values changed: every entry computed before is stale from now on. */
    public void bump() {
        version.incrementAndGet();
    }

    /**
     * The value derived under {@code key} from the current values: the cached one if it was computed at the current
     * version, else {@code compute}'s (kept for later calls unless the values changed meanwhile or the cache is
     * closed). {@code key} distinguishes derivations of the same tensor (e.g. two packing layouts).
     */
    public <T> T get(Object key, Supplier<T> compute) {
        return getReusing(key, stale -> compute.get());
    }

    /**
     * As {@link #get}, but a stale entry's value is handed to {@code recompute} (null when there is none) so it can be
     * refilled in place: a weight matrix changes every training step, and a fresh array per step and layer was the
     * step's largest allocation left after the vector boxing (docs/architecture.md). Only for values that no reader
     * holds once the tensor has been written (the write already races with such a reader, see the class comment); two
     * threads refilling one stale value at once write the same data.
     */
    @SuppressWarnings("unchecked")
    public <T> T getReusing(Object key, java.util.function.UnaryOperator<T> recompute) {
        long v = version.get();
        Entry e = entries.get(key);
        if (e != null && e.version == v) {
            return (T) e.value;
        }
        T value = recompute.apply(e == null ? null : (T) e.value);
        if (!closed && version.get() == v) {
            entries.put(key, new Entry(v, value));
        }
        return value;
    }

    /**
     * Puts {@code fresh} in place of {@code stale} under {@code key} when the entry still holds {@code stale} at the
     * current version: a value derived again for a reason other than a change of the values (the cpu backend's
     * panels, copied back onto a cache line after a garbage collection moved them). Readers holding {@code stale}
     * keep it.
     */
    public <T> void replace(Object key, T stale, T fresh) {
        long v = version.get();
        entries.computeIfPresent(key, (k, e) -> !closed && e.version == v && e.value == stale ? new Entry(v, fresh) : e);
    }

    /** Entries held (for tests and diagnostics). */
    public int size() {
        return entries.size();
    }

    /** Drops every entry and keeps none from now on (the owner is closing). */
    public void close() {
        closed = true;
        entries.clear();
    }
}
