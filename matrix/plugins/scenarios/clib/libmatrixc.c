/* libmatrixc: the tiny C library the cgo plugin `clib` links (built by the grid's
 * prebuild step with the platform's C compiler, soname libmatrixc.so.1). Version 1.1
 * (-DMATRIX_C_1_1) adds matrix_c_minor(); version 1.0 lacks it, with the same soname,
 * as a distribution's older package of the same library would. */
const char *matrix_c_name(void) { return "libmatrixc"; }

#ifdef MATRIX_C_1_1
int matrix_c_minor(void) { return 1; }
#endif
