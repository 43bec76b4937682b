#ifndef MLPD_CZLIB_SHIM_H
#define MLPD_CZLIB_SHIM_H
#include <zlib.h>
#endif
