package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.tensor.Tensor;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * A worker of sharded training kept in an executor between rounds: its shard as batches (global row ids), and a
 * model whose embedding tables have only as many rows as one round's batches touch (the most over every window of
 * {@code syncEvery} consecutive batches, computed when the shard is loaded), with its {@link Trainer}. Each round the
 * worker names the rows its next batches touch ({@link #keys}), receives those rows with their optimizer state from
 * their owners, trains on local slots, and returns what changed ({@link #train}).
 *
 * <p>Dense optimizer state stays with the worker, as in the replicated design. An embedding row's optimizer state
 * (Adam's moments, Adagrad's accumulator) travels with the row and is merged at the owner like the row: a worker
 * that never sees a row cannot hold its state, and the tables are sharded precisely so that no worker holds them all.
 */
final class ShardWorker implements AutoCloseable {
    private static final Map<String, ShardWorker> WORKERS = new ConcurrentHashMap<>();

    final Backend backend;
    final Model model;
    final Trainer trainer;
    final List<Batch> shard;
    final long rows;
    final FeatureSchema schema;
    /** Embedding rows (with optimizer state) the local tables hold, every table together. */
    final long embeddingBytes;
    private final long[][] counts;
    private final int dim;
    private final int stateTensors;

    private ShardWorker(Backend backend, Model model, Trainer trainer, List<Batch> shard, long[][] counts, long embeddingBytes) {
        this.backend = backend;
        this.model = model;
        this.trainer = trainer;
        this.shard = shard;
        this.rows = shard.stream().mapToLong(Batch::size).sum();
        this.schema = model.schema();
        this.counts = counts;
        this.embeddingBytes = embeddingBytes;
        this.dim = model.config().embeddingDim();
        Param first = model.parameters(Param.Kind.EMBEDDING).getFirst();
        this.stateTensors = trainer.optimizerState(first).size();
    }

    /** The settings a worker is built with (serializable, from the driver). */
    record Spec(ModelBytes head, int threads, int batchSize, int syncEvery, long capBytes, RowPlan plan)
            implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * Reads {@code rows} into batches and sizes the local tables for the largest window of {@code syncEvery}
     * consecutive batches (cyclically: a round's steps wrap around the shard).
     *
     * @throws IllegalArgumentException when those rows, with their optimizer state, exceed {@code spec.capBytes()}
     */
    static ShardWorker create(Spec spec, TrainConfig config, int partition, Iterator<Row> rows) {
        ModelFiles.Info info = ModelFiles.readInfo(spec.head().materialize());
        BatchBuilder builder = spec.plan().builder(info.schema(), info.vocabularies());
        List<Batch> shard = new ArrayList<>();
        List<Row> chunk = new ArrayList<>(spec.batchSize());
        while (rows.hasNext()) {
            chunk.add(rows.next());
            if (chunk.size() == spec.batchSize() || !rows.hasNext()) {
                shard.add(spec.plan().batch(chunk, builder));
                chunk = new ArrayList<>(spec.batchSize());
            }
        }
        int tables = info.schema().sparse().size();
        int[] capacity = new int[tables];
        Arrays.fill(capacity, 1);
        int window = Math.min(spec.syncEvery(), shard.size());
        for (int start = 0; start < shard.size(); start++) {
            List<Batch> w = new ArrayList<>(window);
            for (int j = 0; j < window; j++) {
                w.add(shard.get((start + j) % shard.size()));
            }
            LocalTables lt = LocalTables.of(info.schema(), w);
            for (int f = 0; f < tables; f++) {
                capacity[f] = Math.max(capacity[f], lt.rows[f].length);
            }
            if (window == shard.size()) {
                break;
            }
        }
        int states = switch (config.embeddings().kind()) {
            case ADAM -> 2;
            case ADAGRAD -> 1;
            case SGD -> 0;
        };
        long bytes = 0;
        for (int c : capacity) {
            bytes += 4L * c * info.config().embeddingDim() * (1 + states);
        }
        if (bytes > spec.capBytes()) {
            throw new IllegalArgumentException("worker " + partition + " needs " + bytes + " bytes of embedding rows (with "
                    + "optimizer state) for a round of " + window + " batches of " + spec.batchSize() + ", more than the cap of "
                    + spec.capBytes() + " bytes; lower syncEvery or batchSize, or raise the cap");
        }
        long[][] counts = new long[tables][];
        for (int f = 0; f < tables; f++) {
            Vocabulary v = info.vocabularies().get(info.schema().sparse().get(f).name());
            counts[f] = v.counts();
        }
        Backend backend = Backends.create("cpu", spec.threads());
        Model model = null;
        try {
            model = Model.restore(info.config(), info.schema(), capacity, null, backend, spec.batchSize(), Long.MAX_VALUE);
            return new ShardWorker(backend, model, new Trainer(model, config), List.copyOf(shard), counts, bytes);
        } catch (RuntimeException e) {
            if (model != null) {
                model.close();
            }
            backend.close();
            throw e;
        }
    }

    static ShardWorker get(String run, int partition, Supplier<ShardWorker> create) {
        return WORKERS.computeIfAbsent(run + "/" + partition, k -> create.get());
    }

    static void drop(String run) {
        for (String k : WORKERS.keySet()) {
            if (k.startsWith(run + "/")) {
                ShardWorker w = WORKERS.remove(k);
                if (w != null) {
                    w.close();
                }
            }
        }
    }

    /** The batches of a round: steps {@code round·N ..} up to {@code totalSteps}, wrapping around the shard. */
    List<Batch> batches(int round, int syncEvery, long totalSteps) {
        List<Batch> out = new ArrayList<>();
        for (int j = 0; j < syncEvery && !shard.isEmpty(); j++) {
            long step = (long) round * syncEvery + j;
            if (step >= totalSteps) {
                break;
            }
            out.add(shard.get((int) (step % shard.size())));
        }
        return out;
    }

    /** Keys of every row the round's batches touch (row 0 of every table included). */
    long[] keys(int round, int syncEvery, long totalSteps) {
        LocalTables lt = LocalTables.of(schema, batches(round, syncEvery, totalSteps));
        long[] out = new long[Math.toIntExact(lt.size())];
        int n = 0;
        for (int f = 0; f < lt.rows.length; f++) {
            for (int r : lt.rows[f]) {
                out[n++] = LocalTables.key(f, r);
            }
        }
        return out;
    }

    /** Width of a row on the wire: its value and each optimizer state tensor's row. */
    int payloadWidth() {
        return dim * (1 + stateTensors);
    }

    /** A row's deltas after a round, or the worker's dense update (one or the other is set). */
    record Push(long key, float[] delta, ParamUpdate dense) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * One round: loads the dense parameters and the pulled rows (value ‖ optimizer state, keyed) into the local
     * model, takes the round's steps, and returns one {@link Push} per changed row plus one with the dense update.
     *
     * @param denseNow   the round's dense parameters, in the order of the model's non-embedding parameters
     */
    List<Push> train(int round, int syncEvery, long totalSteps, int stepsPerEpoch, Iterator<Tuple2<Long, float[]>> pulled,
                     float[][] denseNow) {
        List<Batch> batches = batches(round, syncEvery, totalSteps);
        LocalTables lt = LocalTables.of(schema, batches);
        List<Param> tables = model.parameters(Param.Kind.EMBEDDING);
        int w = payloadWidth();
        // Local copies of what was pulled, by slot; also the baseline the pushed deltas are taken against.
        float[][] before = new float[tables.size()][];
        int[] got = new int[tables.size()];
        for (int f = 0; f < tables.size(); f++) {
            before[f] = new float[(int) tables.get(f).value().dim(0) * w];
        }
        long pulledRows = 0;
        while (pulled.hasNext()) {
            Tuple2<Long, float[]> e = pulled.next();
            int f = LocalTables.table(e._1());
            int slot = lt.slot(f, LocalTables.row(e._1()));
            System.arraycopy(e._2(), 0, before[f], slot * w, w);
            got[f]++;
            pulledRows++;
        }
        for (int f = 0; f < tables.size(); f++) {
            if (got[f] != lt.rows[f].length) {
                throw new IllegalStateException("table " + tables.get(f).name() + ": " + got[f] + " rows pulled for "
                        + lt.rows[f].length + " requested (a row id outside the sharded table?)");
            }
            upload(tables.get(f), before[f], lt.rows[f], f);
        }
        List<Param> dense = new ArrayList<>();
        for (Param p : model.parameters()) {
            if (p.kind() != Param.Kind.EMBEDDING) {
                dense.add(p);
            }
        }
        for (int i = 0; i < dense.size(); i++) {
            HostIO.upload(backend, dense.get(i).value(), denseNow[i]);
        }
        long samples = 0;
        double loss = 0;
        long first = (long) round * syncEvery;
        for (int j = 0; j < batches.size(); j++) {
            int epoch = (int) ((first + j) / stepsPerEpoch);
            Batch b = batches.get(j);
            double[] taskLoss = trainer.step(lt.remap(b), epoch);
            double[] weights = trainer.taskWeights(epoch);
            for (int k = 0; k < taskLoss.length; k++) {
                loss += weights[k] * taskLoss[k];
            }
            samples += b.size();
        }
        List<Push> out = new ArrayList<>();
        for (int f = 0; f < tables.size(); f++) {
            float[] after = download(tables.get(f), lt.rows[f].length);
            for (int s = 0; s < lt.rows[f].length; s++) {
                if (Arrays.equals(before[f], s * w, s * w + w, after, s * w, s * w + w)) {
                    continue;
                }
                float[] delta = new float[w];
                for (int c = 0; c < w; c++) {
                    delta[c] = after[s * w + c] - before[f][s * w + c];
                }
                out.add(new Push(LocalTables.key(f, lt.rows[f][s]), delta, null));
            }
        }
        float[][] local = new float[dense.size()][];
        for (int i = 0; i < local.length; i++) {
            local[i] = HostIO.downloadFloats(backend, dense.get(i).value());
        }
        ParamUpdate u = ParamUpdate.of(denseNow, local, new int[local.length], samples, batches.size(), loss);
        u.rowsPulled = pulledRows;
        u.rowsPushed = out.size();
        out.add(new Push(-1, null, u));
        return out;
    }

    /** Writes pulled payloads into a table's slots: values, optimizer state, and each row's count n_j. */
    private void upload(Param table, float[] payload, int[] globalRows, int f) {
        int slots = (int) table.value().dim(0);
        int w = payloadWidth();
        List<Tensor> state = trainer.optimizerState(table);
        float[][] parts = new float[1 + state.size()][slots * dim];
        for (int s = 0; s < globalRows.length; s++) {
            for (int t = 0; t < parts.length; t++) {
                System.arraycopy(payload, s * w + t * dim, parts[t], s * dim, dim);
            }
        }
        HostIO.upload(backend, table.value(), parts[0]);
        for (int t = 0; t < state.size(); t++) {
            HostIO.upload(backend, state.get(t), parts[1 + t]);
        }
        float[] freq = new float[slots];
        Arrays.fill(freq, 1f);
        for (int s = 0; s < globalRows.length; s++) {
            freq[s] = Math.max(1f, counts[f][globalRows[s]]);
        }
        HostIO.upload(backend, table.frequency(), freq);
    }

    /** The first {@code n} slots of a table as payloads (value ‖ optimizer state per row). */
    private float[] download(Param table, int n) {
        List<Tensor> state = trainer.optimizerState(table);
        int w = payloadWidth();
        float[] out = new float[n * w];
        float[][] parts = new float[1 + state.size()][];
        parts[0] = HostIO.downloadFloats(backend, table.value());
        for (int t = 0; t < state.size(); t++) {
            parts[1 + t] = HostIO.downloadFloats(backend, state.get(t));
        }
        for (int s = 0; s < n; s++) {
            for (int t = 0; t < parts.length; t++) {
                System.arraycopy(parts[t], s * dim, out, s * w + t * dim, dim);
            }
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
