// Which instruction-set level the running CPU offers. Kernels are compiled for several levels through
// per-function target attributes, so one build runs on any x86-64 (and on arm64 with the portable C).
#include "llamakit_kernels.h"

int lk_cpu_isa(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        int isa = LK_ISA_PORTABLE;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
            isa = LK_ISA_AVX2;
            if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
                isa = LK_ISA_AVX512;
                if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("gfni")) isa = LK_ISA_AVX512_VNNI;
            }
        }
        cached = isa;
    }
    return cached;
#else
    return LK_ISA_PORTABLE;
#endif
}

int lk_cpu_has_avx2_fma(void) { return lk_cpu_isa() >= LK_ISA_AVX2; }

const char *lk_isa_name(int isa) {
    switch (isa) {
    case LK_ISA_AVX2: return "avx2";
    case LK_ISA_AVX512: return "avx512";
    case LK_ISA_AVX512_VNNI: return "avx512-vnni";
    default: return "portable";
    }
}
