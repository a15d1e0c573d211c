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
/* Byte totals (BYTES, ABI v3): the lane's connections are swept once per period and those
 * whose totals moved are reported, FXR_CHAN_BYTES_MAX a message. The totals are kept in
 * 64 bits from 32-bit sequence differences, so a connection must not move 4 GiB in one way
 * within a period (1 s: 34 Gbit/s). A sweep visits at most FXR_DPCHAN_BYTES_STEP slots per
 * loop iteration, and reports only while the lane's queue is at most half full (events
 * first): a report that waits is counted (chan_bytes_deferred) and sent later. */
#define FXR_DPCHAN_BYTES_PERIOD_MS 1000u
#define FXR_DPCHAN_BYTES_STEP      512u

/* One encoded event. */
struct fxr_dpchan_ev {
	uint16_t len;
	uint8_t buf[FXR_CHAN_MSG_D2C_MAX];
};

/* One relay slot's byte totals, as last reported. */
struct fxr_dpchan_tally {
	uint64_t id;                  /* the connection they belong to; 0: none yet */
	struct fxr_chan_totals t;
	uint32_t in32, out32;         /* the 32-bit counts they were last advanced to */
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
	struct fxr_dpchan_tally *tally; /* [ntally], by relay slot */
	uint32_t ntally;
	uint32_t sweep_cursor;        /* next slot of the sweep under way */
	bool sweeping;
	uint16_t nbatch;              /* entries waiting in batch */
	uint64_t next_sweep_tsc;
	struct fxr_chan_bytes_entry batch[FXR_CHAN_BYTES_MAX];
};

#endif
