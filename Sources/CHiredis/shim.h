#ifndef AGORA_CHIREDIS_SHIM_H
#define AGORA_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
