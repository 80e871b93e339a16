/*
 * closeloop.h: the public API of libcloseloop. Backend authors also
 * include closeloop/sys/store.h (and, later, sys/tracker.h).
 */
#ifndef CLOSELOOP_H
#define CLOSELOOP_H

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "queue.h"
#include "policy.h"
#include "refs.h"
#include "audit.h"
#include "clock.h"
#include "log.h"

#endif
