/**
 * din4j's core: tensors, the backend SPI and its cpu and reference backends, graph, models, training, prediction,
 * model files and data readers. No JCuda and no native code; the cuda backend is the {@code io.din4j.cuda} module
 * (artifact din4j-cuda), found through {@link io.din4j.backend.BackendProvider}.
 *
 * <p>Exported: the packages an embedding program uses. Not exported (internal, may change without notice): the
 * backend implementations {@code io.din4j.backend.cpu} and {@code io.din4j.backend.reference} (reach them through
 * {@link io.din4j.backend.Backends#create}), the dataset preparation behind
 * {@code din4j prepare} ({@code io.din4j.data.prepare}) and the CLI's training report ({@code io.din4j.report}).
 * The command-line tool, the Spark module and the benchmarks run on the class path, where every package is visible.
 */
module io.din4j {
    // The cpu backend's kernels. Static: without --add-modules jdk.incubator.vector the module is not resolved,
    // Backends sees that it cannot read it and runs the reference backend instead (docs/architecture.md).
    requires static jdk.incubator.vector;
    requires java.logging;
    // VectorIsa reads the JVM's MaxVectorSize and UseAVX flags through HotSpotDiagnosticMXBean.
    requires java.management;
    requires jdk.management;

    exports io.din4j;
    exports io.din4j.backend;
    exports io.din4j.data;
    exports io.din4j.data.csv;
    exports io.din4j.data.synth;
    exports io.din4j.graph;
    exports io.din4j.io;
    exports io.din4j.json;
    exports io.din4j.metrics;
    exports io.din4j.model;
    exports io.din4j.predict;
    exports io.din4j.tensor;
    exports io.din4j.train;

    uses io.din4j.backend.BackendProvider;
    provides io.din4j.backend.BackendProvider with
            io.din4j.backend.cpu.CpuBackendProvider,
            io.din4j.backend.reference.ReferenceBackendProvider;
}
