#ifndef PARLOIR_CSNDFILE_SHIM_H
#define PARLOIR_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
