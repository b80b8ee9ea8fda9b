package io.din4j.graph;

import io.din4j.backend.Backend;
import io.din4j.backend.DiceState;
import io.din4j.tensor.DType;
import io.din4j.tensor.DerivedCache;
import io.din4j.tensor.Shape;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Owns a model's parameters (in one backend arena) in creation order, by stable name, and the {@link DerivedCache}
 * of each trained parameter's values (what a backend derives from weights, such as the cpu backend's packed
 * panels), freed with the store.
 */
public final class ParamStore implements AutoCloseable {
    private final Backend backend;
    private final TensorArena arena;
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final List<DerivedCache> caches = new ArrayList<>();
    private long budget;

    public ParamStore(Backend backend) {
        this(backend, Long.MAX_VALUE);
    }

    /**
     * A store that refuses, before allocating, to hold more than {@code maxElements} scalars in total (values,
     * embedding frequencies and Dice statistics): a loader of untrusted files sets it from the size of the weights
     * file, so an architecture inflated by a corrupt model.json fails with a message instead of exhausting memory.
     */
    public ParamStore(Backend backend, long maxElements) {
        if (maxElements < 0) {
            throw new IllegalArgumentException("maxElements must be >= 0, got " + maxElements);
        }
        this.backend = backend;
        this.budget = maxElements;
        this.arena = backend.newArena();
    }

    private void reserve(String name, long... shape) {
        long n;
        try {
            n = Shape.count(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("parameter '" + name + "' of shape " + Shape.toString(shape) + " overflows 64 bits");
        }
        if (n > budget) {
            throw new IllegalArgumentException("parameter '" + name + "' of shape " + Shape.toString(shape)
                    + " exceeds the parameter budget (" + budget + " scalars left)");
        }
        budget -= n;
    }

    public Backend backend() {
        return backend;
    }

    /** A dense parameter of the backend's value type. */
    public Param dense(String name, long... shape) {
        reserve(name, shape);
        return add(new Param(name, Param.Kind.DENSE, cached(arena.allocate(backend.valueType(), shape)), null));
    }

    /** An embedding table {@code [rows, width]} whose rows occurred {@code counts[j]} times in training data. */
    public Param embedding(String name, int rows, int width, long[] counts) {
        if (counts != null && counts.length != rows) {
            throw new IllegalArgumentException("embedding '" + name + "': " + counts.length + " counts for " + rows + " rows");
        }
        reserve(name, rows, (long) width + 1);
        Tensor freq = arena.allocate(backend.valueType(), rows);
        double[] f = new double[rows];
        for (int j = 0; j < rows; j++) {
            f[j] = counts == null ? 1 : Math.max(1, counts[j]);
        }
        HostIO.upload(backend, freq, f);
        return add(new Param(name, Param.Kind.EMBEDDING, cached(arena.allocate(backend.valueType(), rows, width)), freq));
    }

    /** A Dice state whose running statistics are saved as {@code <prefix>.running_mean / .running_var}. */
    public DiceState dice(String prefix, int channels) {
        reserve(prefix, 4, channels);
        DiceState s = backend.activation().newDiceState(arena, channels);
        add(new Param(prefix + ".running_mean", Param.Kind.STATE, s.runningMean(), null));
        add(new Param(prefix + ".running_var", Param.Kind.STATE, s.runningVar(), null));
        return s;
    }

    private Tensor cached(Tensor value) {
        DerivedCache c = new DerivedCache();
        caches.add(c);
        return value.withCache(c);
    }

    /** Says that every parameter's values changed (a whole-model load or update); see {@link Param#changed()}. */
    public void changed() {
        for (Param p : params.values()) {
            p.changed();
        }
    }

    private Param add(Param p) {
        if (params.putIfAbsent(p.name(), p) != null) {
            throw new IllegalStateException("parameter '" + p.name() + "' defined twice");
        }
        return p;
    }

    /** Every parameter in creation order (unmodifiable). */
    public List<Param> all() {
        return Collections.unmodifiableList(new ArrayList<>(params.values()));
    }

    /** The parameter called {@code name}, or null. */
    public Param get(String name) {
        return params.get(name);
    }

    /** Value type of the parameters. */
    public DType valueType() {
        return backend.valueType();
    }

    @Override
    public void close() {
        caches.forEach(DerivedCache::close);
        arena.close();
    }
}
