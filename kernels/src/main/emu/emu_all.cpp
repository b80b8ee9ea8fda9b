// The emulator build of the kernel library: every .cu source compiled by g++ against emu.h, plus the registry
// that maps kernel names to type-correct unpackers of cuLaunchKernel-style parameter arrays.
#include "emu.h"

#include <cstring>
#include <type_traits>
#include <utility>

#include "../cuda/all.cu"

namespace {

template <class... A, std::size_t... I>
void invoke_impl(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}

template <class... A>
void invoke(void (*f)(A...), void** p) {
    invoke_impl(f, p, std::index_sequence_for<A...>{});
}

struct Entry {
    const char* name;
    void (*launch)(void**);
};

#define EMU_KERNEL(k) {#k, [](void** p) { invoke(&k, p); }},
const Entry kEntries[] = {
#include "emu_registry.inc"
};

}  // namespace

extern "C" void (*emu_find_kernel(const char* name))(void**) {
    for (const Entry& e : kEntries)
        if (std::strcmp(e.name, name) == 0) return e.launch;
    return nullptr;
}

// Names of every kernel, newline-separated (for diagnostics and tests).
extern "C" const char* emuKernelNames() {
    static const char* names = [] {
        static char buf[16384];
        size_t n = 0;
        for (const Entry& e : kEntries) {
            size_t l = std::strlen(e.name);
            if (n + l + 2 >= sizeof buf) break;
            std::memcpy(buf + n, e.name, l);
            n += l;
            buf[n++] = '\n';
        }
        buf[n] = 0;
        return buf;
    }();
    return names;
}
