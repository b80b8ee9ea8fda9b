package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.predict.Predictor;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The predictors loaded in this JVM (an executor, or the driver in local mode), by model identity, backend, threads
 * and batch size: every task of an executor scoring with the same model shares one {@link Predictor} (which is
 * thread-safe), so a model is read from disk once per executor, not once per task or partition.
 *
 * <p>At most {@link #CAPACITY} models stay loaded; loading another closes the least recently used one that no task
 * is using.
 */
final class ExecutorModels {
    static final int CAPACITY = 4;

    private static final Map<String, Entry> LOADED = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Entry {
        final Backend backend;
        final Predictor predictor;
        int users;

        Entry(Backend backend, Predictor predictor) {
            this.backend = backend;
            this.predictor = predictor;
        }

        void close() {
            predictor.close();
            backend.close();
        }
    }

    private ExecutorModels() {
    }

    /** The shared predictor of {@code model}; give it back with {@link #release} when the task ends. */
    static synchronized Predictor acquire(ModelBytes model, String backendName, int threads, int maxBatch) {
        String key = key(model, backendName, threads, maxBatch);
        Entry e = LOADED.get(key);
        if (e == null) {
            Backend backend = Backends.create(backendName, threads);
            try {
                e = new Entry(backend, Predictor.load(model.materialize(), backend, maxBatch));
            } catch (RuntimeException ex) {
                backend.close();
                throw ex;
            }
            LOADED.put(key, e);
            evict();
        }
        e.users++;
        return e.predictor;
    }

    static synchronized void release(ModelBytes model, String backendName, int threads, int maxBatch) {
        Entry e = LOADED.get(key(model, backendName, threads, maxBatch));
        if (e != null && e.users > 0) {
            e.users--;
        }
        evict();
    }

    private static void evict() {
        Iterator<Entry> it = LOADED.values().iterator();
        while (LOADED.size() > CAPACITY && it.hasNext()) {
            Entry e = it.next();
            if (e.users == 0) {
                it.remove();
                e.close();
            }
        }
    }

    private static String key(ModelBytes model, String backendName, int threads, int maxBatch) {
        return model.id() + "/" + backendName + "/" + threads + "/" + maxBatch;
    }
}
