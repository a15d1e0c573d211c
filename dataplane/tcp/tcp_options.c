/* tcp_options.c: TCP options in and out: MSS (RFC 9293 §3.7.1), window scale and timestamps
 * (RFC 7323 §2, §3), SACK-permitted and SACK (RFC 2018 §2, §3). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "tcp_internal.h"

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,
	OPT_WS = 3,
	OPT_SACK_OK = 4,
	OPT_SACK = 5,
	OPT_TS = 8,
};

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

int fxr_tcp_opts_parse(const struct rte_tcp_hdr *th, struct fxr_tcp_opts *o)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	const uint8_t *end = (const uint8_t *)th + (th->data_off >> 4) * 4;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		uint8_t kind = p[0], len;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			p++;
			continue;
		}
		/* RFC 9293 §3.1: every other option has a length octet counting kind and
		 * length; a bad one ends the parse */
		if (end - p < 2 || (len = p[1]) < 2 || len > end - p)
			break;
		switch (kind) {
		case OPT_MSS:
			if (len == 4)
				o->mss = (uint16_t)(p[2] << 8 | p[3]);
			break;
		case OPT_WS:
			if (len == 3) {
				o->has_wscale = true;
				/* RFC 7323 §2.3: a shift above 14 is taken as 14 */
				o->wscale = p[2] > 14 ? 14 : p[2];
			}
			break;
		case OPT_SACK_OK:
			if (len == 2)
				o->sack_ok = true;
			break;
		case OPT_SACK:
			if (len >= 10 && (len - 2) % 8 == 0) {
				unsigned int n = (len - 2u) / 8u;

				for (unsigned int i = 0; i < n && i < FXR_TCP_SACK_OPT_MAX; i++) {
					o->sack[i].start = get32(p + 2 + 8 * i);
					o->sack[i].end = get32(p + 6 + 8 * i);
				}
				o->n_sack = (uint8_t)(n < FXR_TCP_SACK_OPT_MAX ? n : FXR_TCP_SACK_OPT_MAX);
			}
			break;
		case OPT_TS:
			if (len == 10) {
				o->has_ts = true;
				o->tsval = get32(p + 2);
				o->tsecr = get32(p + 6);
			}
			break;
		default:
			break;
		}
		p += len;
	}
	return 0;
}

unsigned int fxr_tcp_opts_write(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb,
	uint8_t flags, uint8_t *buf)
{
	uint8_t *p = buf;
	bool syn = (flags & RTE_TCP_SYN_FLAG) != 0;
	bool synack = syn && (flags & RTE_TCP_ACK_FLAG) != 0;

	if (syn) {
		/* RFC 9293 §3.7.1: MSS only on SYNs */
		p[0] = OPT_MSS;
		p[1] = 4;
		p[2] = (uint8_t)(s->cfg.mss >> 8);
		p[3] = (uint8_t)s->cfg.mss;
		p += 4;
		/* RFC 7323 §2.2 / RFC 2018 §2: a SYN-ACK carries WS and SACK-permitted only when
		 * the SYN did */
		if (!synack || (tcb->flags & FXR_TCBF_WSCALE)) {
			p[0] = OPT_NOP;
			p[1] = OPT_WS;
			p[2] = 3;
			p[3] = tcb->rcv_wscale;
			p += 4;
		}
		if (!synack || (tcb->flags & FXR_TCBF_SACK)) {
			p[0] = OPT_NOP;
			p[1] = OPT_NOP;
			p[2] = OPT_SACK_OK;
			p[3] = 2;
			p += 4;
		}
	}
	/* RFC 7323 §3.2: once negotiated, every segment but a RST carries TS; a SYN offers it */
	if ((!synack && syn) || (tcb->flags & FXR_TCBF_TS)) {
		p[0] = OPT_NOP;
		p[1] = OPT_NOP;
		p[2] = OPT_TS;
		p[3] = 10;
		put32(p + 4, s->now_ms);
		/* RFC 7323 §3.2: TSecr is 0 on an initial SYN */
		put32(p + 8, (syn && !synack) ? 0 : tcb->ts_recent);
		p += 12;
	}
	/* RFC 2018 §4: SACK blocks with an ACK while out-of-order data is held */
	if (!syn && (tcb->flags & (FXR_TCBF_SACK | FXR_TCBF_OOO)) == (FXR_TCBF_SACK | FXR_TCBF_OOO)
		&& fxr_tcb_ooo(s, tcb)->sack_rx.n != 0) {
		struct fxr_tcp_sack_block blk[FXR_TCP_SACK_OPT_MAX];
		unsigned int room = (tcb->flags & FXR_TCBF_TS) ? 3 : 4;
		unsigned int n = fxr_tcp_sack_rx_fill(&fxr_tcb_ooo(s, tcb)->sack_rx, blk, room);

		if (n != 0) {
			p[0] = OPT_NOP;
			p[1] = OPT_NOP;
			p[2] = OPT_SACK;
			p[3] = (uint8_t)(2 + 8 * n);
			for (unsigned int i = 0; i < n; i++) {
				put32(p + 4 + 8 * i, blk[i].start);
				put32(p + 8 + 8 * i, blk[i].end);
			}
			p += 4 + 8 * n;
		}
	}
	return (unsigned int)(p - buf);
}

unsigned int fxr_tcp_opts_len_data(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb)
{
	unsigned int len = (tcb->flags & FXR_TCBF_TS) ? 12 : 0;

	if ((tcb->flags & (FXR_TCBF_SACK | FXR_TCBF_OOO)) == (FXR_TCBF_SACK | FXR_TCBF_OOO)
		&& fxr_tcb_ooo(s, tcb)->sack_rx.n != 0) {
		unsigned int room = (tcb->flags & FXR_TCBF_TS) ? 3 : 4;

		len += 4 + 8 * RTE_MIN((unsigned int)fxr_tcb_ooo(s, tcb)->sack_rx.n, room);
	}
	return len;
}
