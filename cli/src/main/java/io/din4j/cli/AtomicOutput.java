package io.din4j.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes outputs under a temporary name beside the target and renames them into place only when complete, so a
 * failed or interrupted run never leaves a half-written file or model directory behind.
 */
final class AtomicOutput {
    interface Writer {
        void write(Path temporary) throws IOException;
    }

    /** Temporary outputs in progress, removed if the JVM is stopped (Ctrl-C) before they are renamed. */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : IN_PROGRESS) {
                try {
                    deleteTree(p);
                } catch (IOException | RuntimeException ignored) {
                    // best effort while the JVM exits; the name is hidden (.tmp-...) and never the target's
                }
            }
        }, "din4j-temporary-cleanup"));
    }

    private AtomicOutput() {
    }

    /** A temporary sibling of {@code target} that keeps its name's ending (so {@code .gz} still compresses). */
    static Path temporary(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.resolveSibling(".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "-" + abs.getFileName());
    }

    /** Writes a file through {@code writer} and renames it to {@code target}; removes the partial file on failure. */
    static void file(Path target, Writer writer) throws IOException {
        createParent(target);
        if (Files.isDirectory(target)) {
            throw new UserError(target + ": is a directory, expected a file name");
        }
        Path tmp = temporary(target);
        IN_PROGRESS.add(tmp);
        try {
            writer.write(tmp);
            move(tmp, target);
        } catch (FileSystemException e) {
            failUnderTargetName(e, tmp, target);
            throw e;
        } finally {
            Files.deleteIfExists(tmp);
            IN_PROGRESS.remove(tmp);
        }
    }

    /**
     * Writes a directory through {@code writer} and puts it at {@code target}. An existing target is replaced only
     * when {@code replaceable} says it may be (e.g. an earlier model directory); otherwise this fails before writing.
     */
    static void directory(Path target, String kind, java.util.function.Predicate<Path> replaceable, Writer writer) throws IOException {
        createParent(target);
        if (Files.exists(target) && !(Files.isDirectory(target) && (isEmpty(target) || replaceable.test(target)))) {
            throw new UserError(target + ": exists and is not a " + kind + " (refusing to replace it; choose another --out)");
        }
        Path tmp = temporary(target);
        IN_PROGRESS.add(tmp);
        try {
            Files.createDirectory(tmp);
            writer.write(tmp);
            if (Files.exists(target)) {
                Path old = temporary(target);
                Files.move(target, old);
                Files.move(tmp, target);
                deleteTree(old);
            } else {
                Files.move(tmp, target);
            }
        } catch (FileSystemException e) {
            failUnderTargetName(e, tmp, target);
            throw e;
        } finally {
            deleteTree(tmp);
            IN_PROGRESS.remove(tmp);
        }
    }

    /** Fails now, naming {@code target}, when its folder does not accept new files (before hours of training). */
    static void checkWritable(Path target) throws IOException {
        createParent(target);
        Path probe = temporary(target);
        try {
            Files.createFile(probe);
        } catch (FileSystemException e) {
            failUnderTargetName(e, probe, target);
            throw e;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /**
     * Reports a failure on the hidden temporary path under the name the user gave ({@code --out}); returns (and the
     * caller rethrows) when the failure concerns another file, such as an input.
     */
    private static void failUnderTargetName(FileSystemException e, Path tmp, Path target) {
        if (e.getFile() == null || !Path.of(e.getFile()).startsWith(tmp)) {
            return;
        }
        String why = e instanceof AccessDeniedException ? "permission denied"
                : e instanceof NoSuchFileException ? "cannot create files in " + tmp.getParent()
                : e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
        throw new UserError(target + ": cannot write (" + why + ")", e);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void createParent(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    private static boolean isEmpty(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
