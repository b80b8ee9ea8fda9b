package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;

/**
 * One data-parallel worker kept in an executor between synchronisation rounds: its shard as batches, its model
 * replica and its trainer (whose optimizer state stays local, see docs/spark.md). Keyed by training run and
 * partition; a round whose task lands where the state is not (a lost executor, a rescheduled task) rebuilds it from
 * the partition, with fresh optimizer state.
 */
final class WorkerState implements AutoCloseable {
    private static final Map<String, WorkerState> STATES = new ConcurrentHashMap<>();

    final Backend backend;
    final Model model;
    final Trainer trainer;
    final List<Batch> shard;
    final long rows;

    private WorkerState(Backend backend, Model model, Trainer trainer, List<Batch> shard) {
        this.backend = backend;
        this.model = model;
        this.trainer = trainer;
        this.shard = shard;
        this.rows = shard.stream().mapToLong(Batch::size).sum();
    }

    /**
     * A replica of {@code spec} (the run's initial model) on a cpu backend, with its shard: {@code rows} read into
     * batches of {@code batchSize} in order.
     */
    static WorkerState create(ModelBytes spec, int threads, int batchSize, TrainConfig config, RowPlan plan,
                              Iterator<Row> rows) {
        Backend backend = Backends.create("cpu", threads);
        Model model = null;
        try {
            model = ModelFiles.load(spec.materialize(), backend, batchSize);
            BatchBuilder builder = plan.builder(model.schema(), model.vocabularies());
            List<Batch> shard = new ArrayList<>();
            List<Row> chunk = new ArrayList<>(batchSize);
            while (rows.hasNext()) {
                chunk.add(rows.next());
                if (chunk.size() == batchSize || !rows.hasNext()) {
                    shard.add(plan.batch(chunk, builder));
                    chunk = new ArrayList<>(batchSize);
                }
            }
            return new WorkerState(backend, model, new Trainer(model, config), List.copyOf(shard));
        } catch (RuntimeException e) {
            if (model != null) {
                model.close();
            }
            backend.close();
            throw e;
        }
    }

    /** The worker of {@code partition} in this JVM, created by {@code create} when absent (once, even when raced). */
    static WorkerState get(String run, int partition, Supplier<WorkerState> create) {
        return STATES.computeIfAbsent(run + "/" + partition, k -> create.get());
    }

    /** Closes and forgets every worker of {@code run} in this JVM (safe to call from several tasks at once). */
    static void drop(String run) {
        for (String k : STATES.keySet()) {
            if (k.startsWith(run + "/")) {
                WorkerState s = STATES.remove(k);
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /** Overwrites the replica's parameters with the round's global ones (parameter order). */
    void load(float[][] global) {
        List<Param> ps = model.parameters();
        for (int i = 0; i < ps.size(); i++) {
            HostIO.upload(backend, ps.get(i).value(), global[i]);
            ps.get(i).changed();
        }
    }

    /** The replica's parameters (parameter order). */
    float[][] values() {
        List<Param> ps = model.parameters();
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = HostIO.downloadFloats(backend, ps.get(i).value());
        }
        return out;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
        backend.close();
    }
}
