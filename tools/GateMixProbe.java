import io.din4j.backend.cpu.CpuBackend;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * The three gate mixes of the benchmark PLE's level 0 ({@code GateOps.softmaxMix} of two task gates over 4 of 6
 * experts and the shared gate over all 6, H = 128) on B rows, one thread, as one 128-row part of {@code Predictor}
 * runs them: three calls, or with {@code --fused} one {@code GateOps.softmaxMixes} call, as the PLE graph makes it.
 * Prints the median and best of 4,000 calls of the three, for two rounds after four of warm-up (CpuGateOps' comments
 * and docs/architecture.md quote it).
 *
 * <pre>
 * java [-XX:UseAVX=2 | -XX:MaxVectorSize=16] --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp cli/target/din4j-cli.jar tools/GateMixProbe.java [B [--fused]]
 * </pre>
 */
public class GateMixProbe {
    public static void main(String[] a) {
        int b = a.length > 0 ? Integer.parseInt(a[0]) : 128;
        boolean fused = a.length > 1 && a[1].equals("--fused");
        int experts = 6, h = 128;
        try (HostArena arena = new HostArena(); CpuBackend cpu = new CpuBackend(1)) {
            Random r = new Random(1);
            Tensor x = random(arena.f32(b, experts, h), r);
            Tensor logits4 = random(arena.f32(b, 4), r);
            Tensor logits6 = random(arena.f32(b, 6), r);
            Tensor p4 = arena.f32(b, 4), p4b = arena.f32(b, 4), p6 = arena.f32(b, 6);
            Tensor o1 = arena.f32(b, h), o2 = arena.f32(b, h), o3 = arena.f32(b, h);
            int[] task0 = {0, 1, 4, 5}, task1 = {2, 3, 4, 5}, shared = {0, 1, 2, 3, 4, 5};
            for (int round = 0; round < 6; round++) {
                double[] t = new double[4000];
                for (int i = 0; i < t.length; i++) {
                    long s = System.nanoTime();
                    if (fused) {
                        cpu.gate().softmaxMixes(java.util.List.of(logits4, logits4, logits6), x, java.util.List.of(task0, task1, shared),
                                java.util.List.of(p4, p4b, p6), java.util.List.of(o1, o2, o3));
                    } else {
                        cpu.gate().softmaxMix(logits4, x, task0, p4, o1);
                        cpu.gate().softmaxMix(logits4, x, task1, p4, o2);
                        cpu.gate().softmaxMix(logits6, x, shared, p6, o3);
                    }
                    t[i] = (System.nanoTime() - s) / 1e3;
                }
                Arrays.sort(t);
                if (round >= 4) {
                    System.out.printf((fused ? "fused " : "") + "3 gates, B=%d, H=%d: median %.1f us, best %.1f us%n", b, h, t[t.length / 2], t[0]);
                }
            }
        }
    }

    private static Tensor random(Tensor t, Random r) {
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextGaussian());
        }
        return t;
    }
}
