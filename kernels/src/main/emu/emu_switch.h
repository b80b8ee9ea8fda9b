// The emulator's fiber context switch (x86-64 System V): saves the callee-saved registers, MXCSR and the x87
// control word on the current stack, stores the stack pointer in *saveSp, and resumes the fiber whose stack
// pointer is newSp. A round trip costs ~30 ns here against ~700 ns for swapcontext, which also saves and restores
// the signal mask with a system call (measured by kernels/src/test/emu/switch_bench.cpp).
// Include in exactly one translation unit of a program.
#pragma once
#if defined(__x86_64__)
extern "C" void emu_switch(void** saveSp, void* newSp);
asm(R"(
.text
.p2align 4
.globl emu_switch
.hidden emu_switch
.type emu_switch,@function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size emu_switch,.-emu_switch
)");
#else
#error "the din4j kernel emulator's context switch is written for x86-64 only"
#endif
