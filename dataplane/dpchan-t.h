/* dataplane/dpchan-t.h: one lcore's end of the plane channel (engine/chan, DESIGN.md §3):
 * the lane's receive buffer, the bounded queue of events the ring could not take yet, and
 * the state of a dump in progress. Written by the owning lcore only. */
#ifndef FXR_DP_DPCHAN_T_H
#define FXR_DP_DPCHAN_T_H

#include <stdbool.h>
#include <stdint.h>

#include "fxr/chan-t.h"

struct fxr_chan;

/* Events (dataplane -> control) held while the lane's ring is full, per lane. A full
 * queue closes the connection that had something to say (counted: chan_evq_full). */
#define FXR_DPCHAN_EVQ 1024u
/* Control messages handled per loop iteration (the rest wait for the next one). */
#define FXR_DPCHAN_RX_BURST 32u

/* One encoded event. */
struct fxr_dpchan_ev {
	uint16_t len;
	uint8_t buf[FXR_CHAN_MSG_D2C_MAX];
};

struct fxr_dpchan {
	struct fxr_chan *ch;          /* the process's channel (shared by every lane) */
	uint8_t lane;                 /* this lcore's lane (= its worker index) */
	bool dumping;                 /* a DUMP_REQUEST is being answered */
	uint32_t head;                /* evq: next to send (free-running counters) */
	uint32_t tail;                /* evq: next free */
	uint32_t dump_mark;           /* evq position of the DUMP_REQUEST: older events go first */
	uint32_t dump_id;
	uint32_t dump_cursor;         /* next relay slot to dump */
	uint32_t dump_entries;        /* DUMP_ENTRYs sent so far */
	struct fxr_dpchan_ev *evq;    /* FXR_DPCHAN_EVQ entries */
	uint8_t *rxbuf;               /* one control message (the C2D slot size) */
	uint32_t rxcap;
};

#endif
