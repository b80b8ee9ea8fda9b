package io.din4j.backend.cuda;

import io.din4j.backend.GateOps;
import io.din4j.tensor.Tensor;

/** PLE/MMoE gates on the device: softmax fused with the expert mix, one block per sample. */
final class CudaGateOps implements GateOps {
    private final Kernels k;
    /**
     * Device copies of the expert lists seen so far: a model's gates use the same few lists every step, so each is
     * uploaded once (not once per call, which cost a host-to-device copy per gate per pass). Freed with the
     * backend's scratch buffers.
     */
    private final java.util.Map<java.util.List<Integer>, Long> selectedLists = new java.util.HashMap<>();

    CudaGateOps(Kernels k) {
        this.k = k;
    }

    /** Checks shapes, finds (or uploads once) {@code selected} on the device; returns {B, E, Etot, H, selectedAddress}. */
    private long[] prepare(Tensor logitsOrProbs, String name, Tensor experts, int[] selected) {
        Kernels.f32(name, logitsOrProbs).requireRank(name, logitsOrProbs.dtype(), 2);
        Kernels.f32("experts", experts).requireRank("experts", experts.dtype(), 3);
        int b = logitsOrProbs.dimInt(0);
        int e = logitsOrProbs.dimInt(1);
        if (experts.dim(0) != b) {
            throw new IllegalArgumentException("experts: expected " + b + " rows, got " + experts);
        }
        int etot = experts.dimInt(1);
        if (selected == null || selected.length != e) {
            throw new IllegalArgumentException("selected: expected " + e + " expert indices, got "
                    + (selected == null ? "null" : selected.length));
        }
        for (int i = 0; i < e; i++) {
            if (selected[i] < 0 || selected[i] >= etot) {
                throw new IllegalArgumentException("selected[" + i + "] = " + selected[i] + " is outside [0, " + etot + ")");
            }
        }
        java.util.List<Integer> key = java.util.Arrays.stream(selected).boxed().toList();
        long sel = selectedLists.computeIfAbsent(key, l -> {
            long a = k.scratch("gate.selected" + l, 4L * Math.max(1, e));
            if (e > 0) {
                k.writeInts(a, selected);
            }
            return a;
        });
        return new long[] {b, e, etot, experts.dim(2), sel};
    }

    private int blocks(long b) {
        return (int) Math.max(1, Math.min(b, k.device.gridStrideBlocks()));
    }

    @Override
    public void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out) {
        long[] p = prepare(logits, "logits", experts, selected);
        Kernels.shape("probs", Kernels.f32("probs", probs), p[0], p[1]);
        Kernels.shape("out", Kernels.f32("out", out), p[0], p[3]);
        if (p[0] == 0) {
            return;
        }
        k.device.launch("gate_mix_forward", Dim3.of(blocks(p[0])), Dim3.of(128), 0, KernelArgs.of().ptr(logits)
                .ptr(experts).ptr(p[4]).ptr(probs).ptr(out).i32((int) p[0]).i32((int) p[1]).i32((int) p[2]).i32((int) p[3]));
    }

    @Override
    public void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts) {
        long[] p = prepare(probs, "probs", experts, selected);
        Kernels.shape("dOut", Kernels.f32("dOut", dOut), p[0], p[3]);
        Kernels.shape("dLogits", Kernels.f32("dLogits", dLogits), p[0], p[1]);
        Kernels.shape("dExperts", Kernels.f32("dExperts", dExperts), p[0], p[2], p[3]);
        if (p[0] == 0) {
            return;
        }
        k.device.launch("gate_mix_backward", Dim3.of(blocks(p[0])), Dim3.of(128), (int) (4 * (p[1] + 33)),
                KernelArgs.of().ptr(probs).ptr(experts).ptr(p[4]).ptr(dOut).ptr(dLogits).ptr(dExperts)
                        .i32((int) p[0]).i32((int) p[1]).i32((int) p[2]).i32((int) p[3]));
    }
}
