package io.din4j.backend.cuda;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link Device} has done, counted as it happens rather than estimated by reading the code: kernels
 * launched (a cuBLAS GEMM counts as one), host synchronisations (an explicit synchronize, an event wait, and every
 * device-to-host copy, which waits for the stream before it returns), and host-to-device uploads with their bytes.
 * Take a {@link #snapshot()} before and after the work and subtract.
 */
public final class DeviceCounters {
    private final AtomicLong kernels = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong uploads = new AtomicLong();
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final AtomicLong downloads = new AtomicLong();
    private final AtomicLong downloadedBytes = new AtomicLong();

    /** The counts at one moment. */
    public record Snapshot(long kernels, long hostSyncs, long uploads, long uploadedBytes, long downloads,
                           long downloadedBytes) {
        /** This minus {@code earlier}: what happened in between. */
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(kernels - earlier.kernels, hostSyncs - earlier.hostSyncs, uploads - earlier.uploads,
                    uploadedBytes - earlier.uploadedBytes, downloads - earlier.downloads,
                    downloadedBytes - earlier.downloadedBytes);
        }
    }

    public Snapshot snapshot() {
        return new Snapshot(kernels.get(), syncs.get(), uploads.get(), uploadedBytes.get(), downloads.get(),
                downloadedBytes.get());
    }

    void kernel() {
        kernels.incrementAndGet();
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
