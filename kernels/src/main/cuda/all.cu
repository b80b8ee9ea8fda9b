// The single translation unit of the kernel library: nvcc builds the fatbin from it, the emulator build
// compiles it with g++.
#include "common.cuh"
#include "tensor.cu"
#include "reduce.cu"
#include "embedding.cu"
#include "pooling.cu"
#include "dense.cu"
#include "activation.cu"
#include "attention.cu"
#include "gate.cu"
#include "loss.cu"
#include "optimizer.cu"
#include "selftest.cu"
