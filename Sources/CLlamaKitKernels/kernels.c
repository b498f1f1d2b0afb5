#include "llamakit_kernels.h"
