// Cost of one fiber round trip: the emulator's hand-written switch against ucontext's swapcontext.
//   g++ -O2 -I kernels/src/main/emu kernels/src/test/emu/switch_bench.cpp -o /tmp/switch_bench && /tmp/switch_bench
#include <ucontext.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "emu_switch.h"

static void* mainSp;
static void* fiberSp;
static ucontext_t uMain, uFiber;
static const int N = 10000000;

static void fiber() {
    for (;;) emu_switch(&fiberSp, mainSp);
}

static void ufiber() {
    for (;;) swapcontext(&uFiber, &uMain);
}

int main() {
    const size_t size = 1 << 16;
    char* stack = static_cast<char*>(aligned_alloc(16, size));
    uint64_t* s = reinterpret_cast<uint64_t*>(stack + size) - 9;  // same frame layout as emu_runtime.cpp's init_stack
    s[0] = 0x1f80 | (0x37fULL << 32);
    for (int i = 1; i <= 6; i++) s[i] = 0;
    s[7] = reinterpret_cast<uint64_t>(&fiber);
    s[8] = 0;
    fiberSp = s;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < N; i++) emu_switch(&mainSp, fiberSp);
    auto t1 = std::chrono::steady_clock::now();
    getcontext(&uFiber);
    uFiber.uc_stack.ss_sp = aligned_alloc(16, size);
    uFiber.uc_stack.ss_size = size;
    uFiber.uc_link = nullptr;
    makecontext(&uFiber, ufiber, 0);
    for (int i = 0; i < N / 10; i++) swapcontext(&uMain, &uFiber);
    auto t2 = std::chrono::steady_clock::now();
    printf("hand-written switch: %.1f ns per round trip; swapcontext: %.1f ns per round trip\n",
           std::chrono::duration<double, std::nano>(t1 - t0).count() / N,
           std::chrono::duration<double, std::nano>(t2 - t1).count() / (N / 10));
}
