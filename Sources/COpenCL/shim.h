// OpenCL 1.2 API through the ICD loader (ocl-icd): LlamaKit's OpenCL backend needs nothing newer, so it
// runs on every OpenCL 1.2+ driver (NVIDIA, AMD, Intel, PoCL). Pinning the target version also keeps the
// 1.2 entry points (clCreateCommandQueue) free of deprecation warnings.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
