/* The session machine's actions as plane-channel messages: see actmsg.h. */
#include <errno.h>
#include <string.h>

#include "actmsg.h"
#include "fxr/connid.h"

int fxr_actmsg(const struct fxr_sess_act *a, uint16_t keepalive_s, uint16_t idle_s,
	       struct fxr_chan_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!fxr_connid_valid(a->conn))
		return -EINVAL;
	m->connid = a->conn;
	m->lcore = fxr_connid_lcore(a->conn);
	switch (a->kind) {
	case FXR_ACT_SEND:
		m->type = FXR_CHAN_T_SEND_FRAME;
		m->u.frame.p = a->frame;
		m->u.frame.len = a->len;
		return 0;
	case FXR_ACT_CLOSE:
		m->type = FXR_CHAN_T_CLOSE;
		m->u.close.code = 0;
		return 0;
	case FXR_ACT_LOGIN:
		m->type = FXR_CHAN_T_LOGIN;
		m->u.login.keepalive_s = keepalive_s;
		m->u.login.idle_s = idle_s;
		m->u.login.dev = a->dev;
		m->u.login.dev_len = a->dev_len;
		return 0;
	case FXR_ACT_PAIR:
		m->type = FXR_CHAN_T_PAIR;
		m->u.pair.peer = a->peer;
		return 0;
	case FXR_ACT_UNPAIR:
		m->type = FXR_CHAN_T_UNPAIR;
		return 0;
	case FXR_ACT_NOTE:
		m->type = FXR_CHAN_T_NOTE;
		m->u.note.state = a->note.state;
		m->u.note.flags = a->note.flags;
		m->u.note.call_id = a->note.call_id;
		m->u.note.req_id = a->note.req_id;
		return 0;
	}
	return -EINVAL;
}

void fxr_actmsg_dump_entry(const struct fxr_chan_msg *m, struct fxr_sess_dump_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->conn = m->connid;
	e->peer = m->u.dump.peer;
	e->dev = m->u.dump.dev_len ? m->u.dump.dev : NULL;
	e->dev_len = m->u.dump.dev_len;
	e->sent_end = m->u.dump.sent_end;
	e->note.state = m->u.dump.note.state;
	e->note.flags = m->u.dump.note.flags;
	e->note.call_id = m->u.dump.note.call_id;
	e->note.req_id = m->u.dump.note.req_id;
}
