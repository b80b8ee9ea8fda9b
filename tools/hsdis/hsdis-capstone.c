/*
 * A HotSpot disassembler plugin (hsdis) over the Capstone library, x86-64 only: lets -XX:+PrintAssembly and
 * -XX:CompileCommand=print show C2's code as instructions instead of hex. JDK 25 ships no hsdis, and Debian's
 * libhsdis0-fcml does not load in it. Build and use (Debian: apt-get install libcapstone-dev):
 *
 *   gcc -O2 -shared -fPIC -o /tmp/hsdis/hsdis-amd64.so tools/hsdis/hsdis-capstone.c -lcapstone
 *   LD_LIBRARY_PATH=/tmp/hsdis java -XX:+UnlockDiagnosticVMOptions \
 *       -XX:CompileCommand=print,io.din4j.backend.cpu.SeqKernels::block6x2 --add-modules jdk.incubator.vector ...
 *
 * The JVM calls decode_instructions_virtual once per code range; each instruction is bracketed by "insn" and
 * "/insn" events so that the JVM can interleave its own comments (oop maps, safepoint polls). Capstone 4 does not
 * decode every EVEX encoding (some AVX-512 loads print as ".byte 0x62" followed by junk until it resynchronises);
 * CS_OPT_SKIPDATA keeps it going past them. Diagnostic tool only: nothing in the build depends on it.
 */
#include <stdint.h>
#include <capstone/capstone.h>

typedef void *(*event_callback_t)(void *stream, const char *event, void *arg);
typedef int (*printf_callback_t)(void *stream, const char *format, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback_t event_cb, void *event_stream, printf_callback_t printf_cb,
                                  void *printf_stream, const char *options, int newline) {
    (void) end_va;
    (void) options;
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        return NULL;
    }
    cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
    cs_insn *insn = cs_malloc(handle);
    const uint8_t *code = buffer;
    size_t size = length;
    uint64_t address = start_va;
    uintptr_t next = start_va;
    while (size > 0) {
        uint64_t at = address;
        if (!cs_disasm_iter(handle, &code, &size, &address, insn)) {
            break;
        }
        event_cb(event_stream, "insn", (void *) (uintptr_t) at);
        printf_cb(printf_stream, "%-10s %s", insn->mnemonic, insn->op_str);
        next = (uintptr_t) address;
        event_cb(event_stream, "/insn", (void *) next);
        if (newline) {
            printf_cb(printf_stream, "\n");
        }
    }
    cs_free(insn, 1);
    cs_close(&handle);
    return (void *) next;
}
