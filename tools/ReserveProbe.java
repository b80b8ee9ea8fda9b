import io.din4j.backend.RowSparseGrad;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * {@code RowSparseGrad.reserveSlots} alone, as DIN's embedding backward calls it (two gradients, histories of random
 * length 1..T over a table of V rows), optionally with the caches flushed before every call (a 64 MiB write), as a
 * training step leaves them. Prints, for four rounds of 2 s, the best and mean time per call and the mean per
 * position (docs/architecture.md, "Sparse gradients").
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp cli/target/din4j-cli.jar tools/ReserveProbe.java B T V [cold]
 * </pre>
 */
public class ReserveProbe {
    public static void main(String[] a) {
        if (a.length < 3) {
            System.err.println("usage: ReserveProbe B T V [cold]   (e.g. 256 39 100000 cold)");
            System.exit(2);
        }
        int b = Integer.parseInt(a[0]), t = Integer.parseInt(a[1]);
        long table = Long.parseLong(a[2]);
        boolean cold = a.length > 3 && a[3].equals("cold");
        int[] flush = new int[cold ? 16 << 20 : 0];
        try (HostArena arena = new HostArena()) {
            Tensor ids = arena.i32(b, t);
            Tensor lengths = arena.i32(b);
            SplittableRandom r = new SplittableRandom(3);
            long positions = 0;
            for (int i = 0; i < b; i++) {
                lengths.setInt(i, 1 + r.nextInt(t));
                positions += lengths.getInt(i);
                for (int j = 0; j < t; j++) {
                    ids.setInt((long) i * t + j, (int) r.nextLong(table));
                }
            }
            int capacity = (int) Math.min(table, (long) b * t + b);
            RowSparseGrad g1 = new RowSparseGrad(arena, table, 32, capacity);
            RowSparseGrad g2 = new RowSparseGrad(arena, table, 32, capacity);
            for (int round = 0; round < 4; round++) {
                long best = Long.MAX_VALUE, sum = 0;
                int calls = 0;
                long end = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < end) {
                    for (int k = 0; k < flush.length; k += 16) {
                        flush[k]++;
                    }
                    long t0 = System.nanoTime();
                    g1.clear();
                    g1.reserveSlots(ids, lengths);
                    g2.clear();
                    g2.reserveSlots(ids, lengths);
                    long dt = System.nanoTime() - t0;
                    best = Math.min(best, dt);
                    sum += dt;
                    calls++;
                }
                System.out.printf("B=%d T=%d V=%d%s: %d positions x 2 (%d unique), best %.1f us, mean %.1f us, %.1f ns a position%n",
                        b, t, table, cold ? " cold" : "", positions, g1.count(), best / 1e3, sum / 1e3 / calls,
                        sum / (double) calls / 2 / positions);
            }
        }
    }
}
