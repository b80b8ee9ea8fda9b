package io.din4j.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime for Java on the ONNX export of the PyTorch peer (benchmarks/peers/din4j_torch.py export-onnx):
 * {@code threads} intra-op threads, one inter-op thread, sequential execution, every graph optimization. Each
 * timed step wraps the prepared direct buffers as input tensors, runs the session and reads the probabilities
 * out, as a serving call would.
 */
final class OrtEngine implements PeerWorker.Engine {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final PeerWorker.Cache<OrtSession> sessions = new PeerWorker.Cache<>();

    @Override
    public float[] predict(Map<String, Object> req) throws Exception {
        float[][] out = new float[1][];
        prepare(req, out).run();
        return out[0];
    }

    @Override
    public Runnable prepare(Map<String, Object> req) throws Exception {
        return prepare(req, null);
    }

    /** The timed step; with {@code keep}, it also stores the first task's probabilities in {@code keep[0]}. */
    private Runnable prepare(Map<String, Object> req, float[][] keep) throws Exception {
        String mode = PeerWorker.string(req, "mode");
        if (!mode.equals("infer") && !mode.equals("serving")) {
            throw new IllegalArgumentException("ONNX Runtime runs inference only, not '" + mode + "'");
        }
        String onnx = PeerWorker.string(req, "onnx");
        int threads = PeerWorker.integer(req, "threads");
        int rows = PeerWorker.integer(req, "batch");
        int hist = PeerWorker.integer(req, "hist");
        OrtSession session = sessions.get(onnx + "@" + threads, () -> {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(onnx, o);
        });
        ModelFiles.Info info = ModelFiles.readInfo(Path.of(PeerWorker.string(req, "model_dir")));
        FeatureSchema schema = info.schema();
        // The serving case has no one-user path here: the user's side is repeated on every candidate row.
        Batch b = BenchModels.random(schema, info.vocabSizes(), rows, hist, mode.equals("serving"), 11);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, LongBuffer> data = new LinkedHashMap<>();
        for (int f = 0; f < schema.sparse().size(); f++) {
            put(shapes, data, schema.sparse().get(f).name(), b.sparse(f), rows);
        }
        for (int s = 0; s < schema.sequences().size(); s++) {
            put(shapes, data, schema.sequences().get(s).name(), b.sequence(s), rows, b.history());
        }
        put(shapes, data, "lengths", b.lengths(), rows);
        if (!schema.dense().isEmpty()) {
            throw new IllegalArgumentException("dense features are not wired in this harness");
        }
        // The exporter drops inputs the graph never reads (lengths, without behaviour sequences).
        if (!shapes.keySet().containsAll(session.getInputNames())) {
            throw new IllegalStateException("ONNX inputs " + session.getInputNames() + ", prepared " + shapes.keySet());
        }
        data.keySet().retainAll(session.getInputNames());
        return () -> {
            Map<String, OnnxTensor> in = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, LongBuffer> e : data.entrySet()) {
                    in.put(e.getKey(), OnnxTensor.createTensor(env, e.getValue().rewind(), shapes.get(e.getKey())));
                }
                try (OrtSession.Result r = session.run(in)) {
                    OnnxValue v = r.get(0);
                    java.nio.FloatBuffer probs = ((OnnxTensor) v).getFloatBuffer();
                    if (keep != null) {
                        int k = probs.capacity() / rows;
                        keep[0] = new float[rows];
                        for (int i = 0; i < rows; i++) {
                            keep[0][i] = probs.get(i * k);
                        }
                    }
                }
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        };
    }

    private static void put(Map<String, long[]> shapes, Map<String, LongBuffer> data, String name, int[] values, long... shape) {
        LongBuffer buf = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int v : values) {
            buf.put(v);
        }
        shapes.put(name, shape);
        data.put(name, buf);
    }
}
