package io.din4j.backend.cuda;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link Device} has done, counted as it happens rather than estimated by reading the code: kernels run
 * (a cuBLAS GEMM counts as one; a kernel inside a replayed graph counts too), host synchronisations (an explicit
 * synchronize, an event wait, and every device-to-host copy, which waits for the stream before it returns),
 * host-to-device uploads with their bytes, the launch calls the host made one kernel at a time
 * ({@code hostLaunches}: the per-launch host cost a CUDA graph removes) and the graphs it launched. Take a
 * {@link #snapshot()} before and after the work and subtract.
 */
public final class DeviceCounters {
    private final AtomicLong kernels = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong uploads = new AtomicLong();
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final AtomicLong downloads = new AtomicLong();
    private final AtomicLong downloadedBytes = new AtomicLong();
    private final AtomicLong hostLaunches = new AtomicLong();
    private final AtomicLong graphLaunches = new AtomicLong();
    /** Device frees so far: a recorded graph holds raw addresses, so any free may leave one pointing at freed memory. */
    private final AtomicLong frees = new AtomicLong();

    /**
     * The counts at one moment.
     *
     * @param kernels       kernels run, one at a time or inside graphs
     * @param hostLaunches  kernels (and cuBLAS calls) the host launched one at a time
     * @param graphLaunches graphs launched (each runs many kernels for one launch call)
     */
    public record Snapshot(long kernels, long hostSyncs, long uploads, long uploadedBytes, long downloads,
                           long downloadedBytes, long hostLaunches, long graphLaunches) {
        /** Without graphs every kernel is a host launch. */
        public Snapshot(long kernels, long hostSyncs, long uploads, long uploadedBytes, long downloads, long downloadedBytes) {
            this(kernels, hostSyncs, uploads, uploadedBytes, downloads, downloadedBytes, kernels, 0);
        }

        /** This minus {@code earlier}: what happened in between. */
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(kernels - earlier.kernels, hostSyncs - earlier.hostSyncs, uploads - earlier.uploads,
                    uploadedBytes - earlier.uploadedBytes, downloads - earlier.downloads,
                    downloadedBytes - earlier.downloadedBytes, hostLaunches - earlier.hostLaunches,
                    graphLaunches - earlier.graphLaunches);
        }
    }

    public Snapshot snapshot() {
        return new Snapshot(kernels.get(), syncs.get(), uploads.get(), uploadedBytes.get(), downloads.get(),
                downloadedBytes.get(), hostLaunches.get(), graphLaunches.get());
    }

    /** A kernel launched by the host on its own (it also runs). */
    void kernel() {
        kernels.incrementAndGet();
        hostLaunches.incrementAndGet();
    }

    /** A graph launch running {@code kernelsInGraph} kernels for one call. */
    void graph(long kernelsInGraph) {
        graphLaunches.incrementAndGet();
        kernels.addAndGet(kernelsInGraph);
    }

    void free() {
        frees.incrementAndGet();
    }

    /** Device frees so far (see {@link Device#beginCapture}: a graph recorded before a free may hold freed addresses). */
    public long frees() {
        return frees.get();
    }

    void sync() {
        syncs.incrementAndGet();
    }

    void upload(long bytes) {
        uploads.incrementAndGet();
        uploadedBytes.addAndGet(bytes);
    }

    /** A device-to-host copy: a download and a host synchronisation. */
    void download(long bytes) {
        downloads.incrementAndGet();
        downloadedBytes.addAndGet(bytes);
        syncs.incrementAndGet();
    }
}
