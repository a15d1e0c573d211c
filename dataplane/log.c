/* dataplane/log.c: fxr-dataplane's log type (STYLE.md "Errors and logs"). */
#include "log.h"

RTE_LOG_REGISTER_DEFAULT(fxr_dp_logtype, INFO);
