// The emulator's runtime: fiber scheduling of a block's threads, barriers, warp collectives, the launch entry
// point and device-memory stand-ins. Built only by g++ (never by nvcc).
#include "emu.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" void (*emu_find_kernel(const char* name))(void**);

namespace emu {

thread_local Fiber* t_current = nullptr;
thread_local uint3 t_blockIdx = {0, 0, 0};
thread_local dim3 t_blockDim;
thread_local dim3 t_gridDim;

namespace {

enum State { RUNNABLE = 0, WAIT_BLOCK = 1, WAIT_WARP = 2, DONE = 3 };

constexpr int kMaxThreads = 1024;
constexpr size_t kStackBytes = 128 * 1024;

// Launch limits of sm_80 and later (CUDA C++ Programming Guide, "Technical Specifications per Compute
// Capability"): a launch outside them fails with CUDA_ERROR_INVALID_VALUE on a GPU, so it fails here too.
constexpr unsigned long long kMaxGridX = 2147483647ull;
constexpr unsigned kMaxGridYZ = 65535;
constexpr unsigned kMaxBlockX = 1024, kMaxBlockY = 1024, kMaxBlockZ = 64;
// Shared memory per block: 48 KiB without opt-in (static + dynamic), static alone never more; above that only
// after cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES), up to the opt-in maximum of an H100/H200 (227 KiB;
// an A100's is 163 KiB).
constexpr unsigned long long kDefaultShared = 48 * 1024;
constexpr unsigned long long kOptInShared = 227 * 1024;

struct Warp {
    int lanes;
    int arrived;
    unsigned gen;
    uint64_t slot[2][32];
};

// Everything one OS thread needs to run blocks: fiber stacks (allocated once, reused), the scheduler's saved
// context and the block's barrier state.
struct BlockCtx {
    char* stacks = nullptr;
    Fiber fibers[kMaxThreads];
    Warp warps[kMaxThreads / 32];
    int nthreads = 0;
    int nwarps = 0;
    int live = 0;
    int blockArrived = 0;
    unsigned blockGen = 0;
    void* schedSp = nullptr;
    void (*kernel)(void**) = nullptr;
    void** params = nullptr;
    std::vector<unsigned char> dyn;
    std::vector<void*> poisoned;        // STATIC_SHARED variables already poisoned in this block
    unsigned long long staticBytes = 0;  // their total size
    unsigned long long sharedLimit = 0;  // static + dynamic bytes this launch may use
    std::string error;
};

thread_local BlockCtx* t_block = nullptr;

std::mutex g_poolMutex;
std::vector<BlockCtx*> g_pool;
std::mutex g_errMutex;
std::string g_lastError;
// Per-kernel MAX_DYNAMIC_SHARED_SIZE_BYTES, as cuFuncSetAttribute sets it (one table: the emulator is one context).
std::mutex g_attrMutex;
std::map<std::string, unsigned long long> g_sharedOptIn;

void set_last_error(const std::string& e) {
    std::lock_guard<std::mutex> g(g_errMutex);
    g_lastError = e;
}

BlockCtx* borrow_ctx() {
    {
        std::lock_guard<std::mutex> g(g_poolMutex);
        if (!g_pool.empty()) {
            BlockCtx* c = g_pool.back();
            g_pool.pop_back();
            return c;
        }
    }
    BlockCtx* c = new BlockCtx();
    size_t total = kStackBytes * kMaxThreads;
    void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        delete c;
        return nullptr;
    }
    c->stacks = static_cast<char*>(m);
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < kMaxThreads; i++) {
        // A guard page under each stack turns a fiber stack overflow into a fault instead of silent corruption.
        mprotect(c->stacks + i * kStackBytes, page, PROT_NONE);
    }
    return c;
}

void return_ctx(BlockCtx* c) {
    std::lock_guard<std::mutex> g(g_poolMutex);
    g_pool.push_back(c);
}

}  // namespace
}  // namespace emu

#include "emu_switch.h"

namespace emu {
namespace {

[[noreturn]] void fiber_entry() {
    BlockCtx* b = t_block;
    b->kernel(b->params);
    Fiber* f = t_current;
    f->state = DONE;
    b->live--;
    emu_switch(&f->sp, b->schedSp);
    __builtin_unreachable();
}

void* init_stack(char* stackBase) {
    auto* top = reinterpret_cast<uint64_t*>(stackBase + kStackBytes);
    uint64_t* s = top - 9;  // 16-byte aligned top minus 72 bytes: rsp % 16 == 8 at fiber_entry, as after a call
    uint32_t mxcsr;
    uint16_t fpucw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpucw));
    s[0] = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
    for (int i = 1; i <= 6; i++) s[i] = 0;
    s[7] = reinterpret_cast<uint64_t>(&fiber_entry);
    s[8] = 0;
    return s;
}

bool runnable(BlockCtx* b, Fiber* f) {
    switch (f->state) {
        case RUNNABLE: return true;
        case WAIT_BLOCK:
            if (b->blockGen != f->waitGen) { f->state = RUNNABLE; return true; }
            return false;
        case WAIT_WARP:
            if (b->warps[f->warp].gen != f->waitGen) { f->state = RUNNABLE; return true; }
            return false;
        default: return false;
    }
}

std::string deadlock_message(BlockCtx* b) {
    int atBlock = 0, atWarp = 0, done = 0;
    for (int i = 0; i < b->nthreads; i++) {
        int s = b->fibers[i].state;
        atBlock += s == WAIT_BLOCK;
        atWarp += s == WAIT_WARP;
        done += s == DONE;
    }
    char buf[320];
    snprintf(buf, sizeof buf,
             "deadlock in block (%u,%u,%u) of %d threads: %d wait at __syncthreads, %d wait at a warp collective, "
             "%d have exited (every thread of the block must reach each __syncthreads, every lane of the warp "
             "each shuffle/vote)",
             t_blockIdx.x, t_blockIdx.y, t_blockIdx.z, b->nthreads, atBlock, atWarp, done);
    return buf;
}

// Runs every thread of the current block to completion; false (with b->error set) on a deadlock.
bool run_block(BlockCtx* b) {
    int n = b->nthreads;
    for (int i = 0; i < n; i++) {
        Fiber& f = b->fibers[i];
        f.tid.x = i % t_blockDim.x;
        f.tid.y = (i / t_blockDim.x) % t_blockDim.y;
        f.tid.z = i / (t_blockDim.x * t_blockDim.y);
        f.lane = i % 32;
        f.warp = i / 32;
        f.state = RUNNABLE;
        f.waitGen = 0;
        f.shflParity = 0;
        f.sp = init_stack(b->stacks + (size_t)i * kStackBytes);
    }
    for (int w = 0; w < b->nwarps; w++) {
        b->warps[w].lanes = std::min(32, n - w * 32);
        b->warps[w].arrived = 0;
        b->warps[w].gen = 0;
    }
    b->live = n;
    b->blockArrived = 0;
    b->blockGen = 0;
    // Reads of dynamic shared memory before any write see NaN (floats) or -1 (ints); static shared memory is
    // poisoned the same way when the block first reaches its declaration (static_shared).
    std::memset(b->dyn.data(), 0xFF, b->dyn.size());
    b->poisoned.clear();
    b->staticBytes = 0;
    b->error.clear();
    int i = 0;
    while (b->live > 0) {
        int k = 0;
        while (k < n && !runnable(b, &b->fibers[(i + k) % n])) k++;
        if (k == n) {
            b->error = deadlock_message(b);
            return false;
        }
        Fiber* f = &b->fibers[(i + k) % n];
        t_current = f;
        emu_switch(&b->schedSp, f->sp);
        i = (i + k + 1) % n;
    }
    t_current = nullptr;
    return b->error.empty();
}

void warp_wait(BlockCtx* b, Fiber* f) {
    Warp& w = b->warps[f->warp];
    if (++w.arrived == w.lanes) {
        w.arrived = 0;
        w.gen++;
        return;
    }
    f->state = WAIT_WARP;
    f->waitGen = w.gen;
    emu_switch(&f->sp, b->schedSp);
}

}  // namespace

void syncthreads() {
    BlockCtx* b = t_block;
    Fiber* f = t_current;
    // Strict: the barrier completes only when every thread of the block has arrived (exited threads never do).
    if (++b->blockArrived == b->nthreads) {
        b->blockArrived = 0;
        b->blockGen++;
        return;
    }
    f->state = WAIT_BLOCK;
    f->waitGen = b->blockGen;
    emu_switch(&f->sp, b->schedSp);
}

int warp_lanes() { return t_block->warps[t_current->warp].lanes; }

static void check_mask(uint32_t mask) {
    uint32_t full = warp_lanes() == 32 ? 0xffffffffu : ((1u << warp_lanes()) - 1);
    if ((mask & full) != full) {
        fprintf(stderr, "din4j emulator: warp collective with partial mask 0x%08x is not supported\n", mask);
        abort();
    }
}

// Deposits this lane's value for a warp collective and waits for every lane of the warp; returns the slot row
// holding all lanes' values. Two rows are used alternately: a lane can deposit for collective k+2 only after every
// lane passed the barrier of k+1, so nobody is still reading the values of collective k.
static const uint64_t* warp_deposit(uint64_t v, uint32_t mask, Warp** warp) {
    check_mask(mask);
    BlockCtx* b = t_block;
    Fiber* f = t_current;
    Warp& w = b->warps[f->warp];
    unsigned par = f->shflParity;
    f->shflParity ^= 1u;
    w.slot[par][f->lane] = v;
    warp_wait(b, f);
    *warp = &w;
    return w.slot[par];
}

uint64_t warp_exchange(uint64_t v, int src, uint32_t mask) {
    Warp* w;
    const uint64_t* row = warp_deposit(v, mask, &w);
    return row[(src >= 0 && src < w->lanes) ? src : t_current->lane];
}

uint32_t warp_ballot(bool p, uint32_t mask) {
    Warp* w;
    const uint64_t* row = warp_deposit(p ? 1 : 0, mask, &w);
    uint32_t r = 0;
    for (int l = 0; l < w->lanes; l++) r |= (uint32_t)row[l] << l;
    return r;
}

void* dynamic_shared() { return t_block->dyn.data(); }

void static_shared(void* p, unsigned long long bytes) {
    BlockCtx* b = t_block;
    for (void* q : b->poisoned)
        if (q == p) return;
    b->poisoned.push_back(p);
    std::memset(p, 0xFF, (size_t)bytes);
    b->staticBytes += bytes;
    if (!b->error.empty()) return;
    char buf[240];
    if (b->staticBytes > kDefaultShared) {
        snprintf(buf, sizeof buf, "%llu bytes of static shared memory exceed the %llu-byte limit", b->staticBytes,
                 kDefaultShared);
        b->error = buf;
    } else if (b->staticBytes + b->dyn.size() > b->sharedLimit) {
        snprintf(buf, sizeof buf, "%llu bytes of static + %zu of dynamic shared memory exceed the kernel's %llu-byte limit",
                 b->staticBytes, b->dyn.size(), b->sharedLimit);
        b->error = buf;
    }
}

}  // namespace emu

extern "C" {

const char* emuLastError() {
    static thread_local std::string copy;
    std::lock_guard<std::mutex> g(emu::g_errMutex);
    copy = emu::g_lastError;
    return copy.c_str();
}

// Mirrors cuLaunchKernel: params[i] points at the value of the kernel's i-th argument. Returns 0 on success,
// 1 for an unknown kernel or an invalid configuration (outside the limits above), 2 for a failure inside a block
// (a deadlock, static + dynamic shared memory over the limit); emuLastError() then says what happened.
int emuLaunchKernel(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                    unsigned sharedBytes, void** params) {
    using namespace emu;
    void (*k)(void**) = emu_find_kernel(name);
    if (k == nullptr) {
        set_last_error(std::string("no kernel named '") + name + "' in the emulator library");
        return 1;
    }
    unsigned long long threads = (unsigned long long)bx * by * bz;
    unsigned long long blocks = (unsigned long long)gx * gy * gz;
    unsigned long long sharedLimit = kDefaultShared;
    {
        std::lock_guard<std::mutex> g(g_attrMutex);
        auto it = g_sharedOptIn.find(name);
        if (it != g_sharedOptIn.end()) sharedLimit = std::max(sharedLimit, it->second);
    }
    const char* why = nullptr;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) why = "every dimension must be at least 1";
    else if (gx > kMaxGridX) why = "gridDim.x exceeds 2^31 - 1";
    else if (gy > kMaxGridYZ) why = "gridDim.y exceeds 65535";
    else if (gz > kMaxGridYZ) why = "gridDim.z exceeds 65535";
    else if (bx > kMaxBlockX || by > kMaxBlockY || bz > kMaxBlockZ) why = "blockDim exceeds (1024, 1024, 64)";
    else if (threads > (unsigned long long)kMaxThreads) why = "more than 1024 threads per block";
    else if (sharedBytes > sharedLimit)
        why = sharedLimit == kDefaultShared
                  ? "dynamic shared memory above 48 KiB needs the MAX_DYNAMIC_SHARED_SIZE_BYTES opt-in first"
                  : "dynamic shared memory above the kernel's MAX_DYNAMIC_SHARED_SIZE_BYTES";
    if (why != nullptr) {
        char buf[320];
        snprintf(buf, sizeof buf, "%s: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u) shared %u B: %s "
                 "(CUDA_ERROR_INVALID_VALUE on a GPU)", name, gx, gy, gz, bx, by, bz, sharedBytes, why);
        set_last_error(buf);
        return 1;
    }
    static const int configured = [] {
        const char* e = getenv("DIN4J_EMU_THREADS");
        int n = e ? atoi(e) : (int)std::thread::hardware_concurrency();
        return std::max(1, std::min(n, 16));
    }();
    int workers = (int)std::min<unsigned long long>(blocks, (unsigned long long)configured);
    std::atomic<unsigned long long> next{0};
    std::atomic<bool> failed{false};
    std::string firstError;
    std::mutex errM;

    auto work = [&] {
        BlockCtx* c = borrow_ctx();
        if (c == nullptr) {
            std::lock_guard<std::mutex> g(errM);
            if (firstError.empty()) firstError = "cannot map fiber stacks";
            failed = true;
            return;
        }
        t_block = c;
        c->kernel = k;
        c->params = params;
        c->nthreads = (int)threads;
        c->nwarps = (int)((threads + 31) / 32);
        c->dyn.assign(sharedBytes, 0);
        c->sharedLimit = sharedLimit;
        t_blockDim = dim3(bx, by, bz);
        t_gridDim = dim3(gx, gy, gz);
        unsigned long long i;
        while (!failed && (i = next.fetch_add(1)) < blocks) {
            t_blockIdx.x = (unsigned)(i % gx);
            t_blockIdx.y = (unsigned)((i / gx) % gy);
            t_blockIdx.z = (unsigned)(i / ((unsigned long long)gx * gy));
            if (!run_block(c)) {
                std::lock_guard<std::mutex> g(errM);
                if (firstError.empty()) firstError = std::string(name) + ": " + c->error;
                failed = true;
            }
        }
        t_block = nullptr;
        return_ctx(c);
    };
    if (workers == 1) {
        work();
    } else {
        std::vector<std::thread> ts;
        for (int w = 1; w < workers; w++) ts.emplace_back(work);
        work();
        for (auto& t : ts) t.join();
    }
    if (failed) {
        set_last_error(firstError);
        return 2;
    }
    return 0;
}

// Mirrors cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES): launches of `name` may then use up
// to `bytes` of dynamic shared memory. 0 on success, 1 (emuLastError() says why) for an unknown kernel or a size
// above the opt-in maximum.
int emuFuncSetMaxDynamicShared(const char* name, unsigned bytes) {
    using namespace emu;
    if (emu_find_kernel(name) == nullptr) {
        set_last_error(std::string("no kernel named '") + name + "' in the emulator library");
        return 1;
    }
    if (bytes > kOptInShared) {
        char buf[240];
        snprintf(buf, sizeof buf, "%s: MAX_DYNAMIC_SHARED_SIZE_BYTES %u exceeds the opt-in maximum of %llu bytes "
                 "(CUDA_ERROR_INVALID_VALUE on a GPU)", name, bytes, kOptInShared);
        set_last_error(buf);
        return 1;
    }
    std::lock_guard<std::mutex> g(g_attrMutex);
    g_sharedOptIn[name] = bytes;
    return 0;
}

// The opt-in maximum of dynamic shared memory per block (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN).
unsigned emuMaxSharedOptIn() { return (unsigned)emu::kOptInShared; }

void* emuMalloc(unsigned long long bytes) {
    // 256-byte alignment, as cudaMalloc guarantees; zero-filled so that tests are reproducible.
    size_t n = (size_t)((bytes + 255) / 256 * 256);
    void* p = aligned_alloc(256, n == 0 ? 256 : n);
    if (p != nullptr) std::memset(p, 0, n == 0 ? 256 : n);
    return p;
}

void emuFree(void* p) { free(p); }

void emuMemcpy(void* dst, const void* src, unsigned long long bytes) { std::memmove(dst, src, (size_t)bytes); }

void emuMemset32(void* dst, unsigned value, unsigned long long count) {
    auto* d = static_cast<unsigned*>(dst);
    for (unsigned long long i = 0; i < count; i++) d[i] = value;
}

}  // extern "C"
