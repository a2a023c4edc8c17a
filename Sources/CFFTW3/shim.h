#ifndef PARLOIR_CFFTW3_SHIM_H
#define PARLOIR_CFFTW3_SHIM_H
#include <fftw3.h>
#endif
