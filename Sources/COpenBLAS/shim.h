#include <cblas.h>
// OpenBLAS extension: the number of threads its own pool uses.
void openblas_set_num_threads(int num_threads);
