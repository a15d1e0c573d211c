/* actmsg.h: the session machine's actions as plane-channel messages (DESIGN.md §3).
 *
 * Pure: no I/O. The control plane's event loop calls it from the machine's emit callback
 * and sends the result on the connection's lane (fxr_connid_lcore(conn)). */
#ifndef FXR_ACTMSG_H
#define FXR_ACTMSG_H

#include <stdint.h>

#include "fxr/chan-t.h"
#include "session-t.h"

/* Fills *m with the control -> dataplane message for action a:
 *   SEND -> SEND_FRAME, CLOSE -> CLOSE (code: the FXR/1 code of the last status frame sent
 *   on the connection is not known here: code 0), LOGIN -> LOGIN with keepalive_s and
 *   idle_s, PAIR -> PAIR, UNPAIR -> UNPAIR, NOTE -> NOTE.
 * Views in *m (frame, device id) point into a, valid as long as a's are. Returns 0, or
 * -EINVAL for an unknown kind or a connection id that cannot be on the wire (0). */
int fxr_actmsg(const struct fxr_sess_act *a, uint16_t keepalive_s, uint16_t idle_s,
	       struct fxr_chan_msg *m);

/* The note of a DUMP_ENTRY as the machine's restore entry wants it. e->dev points into m. */
void fxr_actmsg_dump_entry(const struct fxr_chan_msg *m, struct fxr_sess_dump_entry *e);

#endif
