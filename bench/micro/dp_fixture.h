/* bench/micro/dp_fixture.h: the dataplane's hot paths driven on real mbufs for the Google
 * Benchmark microbenchmarks, without a port: EAL without hugepages, PCI or telemetry, one
 * lcore (the CPU the benchmark runs on), one fxr_lcore with a TCP stack, peers that are
 * frames built here, and a sink for what the stack transmits (the lcore's TX buffer is
 * emptied and freed after every flush, where a PMD would take it).
 *
 * The dataplane's headers are C11 only (tcp-t.h uses _Alignas), so this is a C interface
 * over opaque fixtures; the .cc files call it. Each benchmark works in batches: a *_prep()
 * call builds the next batch's frames (outside the timed region), a *_run() call feeds them
 * and returns the TSC cycles it took, and checks that the batch had the intended effect (in
 * order, nothing dropped, everything acknowledged), so that a benchmark cannot silently
 * measure a drop path. Functions return 0 or -1 with the reason in bench_dp_error(). Not
 * thread-safe: one benchmark thread. */
#ifndef FXR_BENCH_DP_FIXTURE_H
#define FXR_BENCH_DP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The reason the last call failed. */
const char *bench_dp_error(void);

/* ---- one established connection from a Linux-like peer (MSS 1460, SACK, TS, WS 7) ---- */
struct bench_tcp;

/* The port's transmit side as the stack sees it (struct fxr_port_info): how many mbufs it
 * chains in one frame (1: payload is copied into the frame, as with net_af_xdp; more: it
 * goes by reference, as with a PCI NIC) and whether it computes TCP checksums. */
struct bench_port {
	uint16_t tx_seg_max;
	bool tx_cksum_offload;
};

/* An lcore with a TCP stack transmitting to port and one ESTABLISHED connection from a
 * peer; the application frees what it receives and reopens the window at once. Starts EAL
 * on first use. NULL on failure. */
struct bench_tcp *bench_tcp_open(struct bench_port port);
/* Frees t (NULL: nothing). Returns 0, or -1 when an mbuf was not returned (a leak). */
int bench_tcp_close(struct bench_tcp *t);

/* TCP input: the next n in-order data segments of payload bytes each (n <= 1024), with a
 * timestamp option, as the peer sends them; rx_cksum_good marks them as checked by the NIC
 * (RTE_MBUF_F_RX_L4_CKSUM_GOOD), else the stack checks the checksum itself. */
int bench_tcp_input_prep(struct bench_tcp *t, unsigned int n, uint32_t payload,
	bool rx_cksum_good);
/* Feeds the prepared segments to fxr_tcp_input() in bursts of 32, each followed by
 * fxr_tcp_flush() (the ACKs it owes go to the sink). *cycles gets the TSC cycles. */
int bench_tcp_input_run(struct bench_tcp *t, uint64_t *cycles);

/* TCP output: n (even, <= 1024) full-size payload mbufs for fxr_tcp_send(), and the peer's
 * ACKs for them, one per two segments (RFC 5681 §4.2). The first call grows cwnd past n
 * segments first with acknowledged rounds (slow start), so that the window never limits. */
int bench_tcp_output_prep(struct bench_tcp *t, unsigned int n);
/* Queues the mbufs with fxr_tcp_send() and sends them with fxr_tcp_flush(), 32 at a time,
 * then feeds the ACKs; checks that all was sent and acknowledged. */
int bench_tcp_output_run(struct bench_tcp *t, uint64_t *cycles);
/* Payload bytes of one full-size segment (MSS minus the timestamp option). */
uint32_t bench_tcp_seg_max(const struct bench_tcp *t);

/* ---- the TCB table ---- */
struct bench_tcb_table;

/* A stack whose table holds n TCBs (keys: distinct remote addresses and ports), plus n
 * keys that are not in it. NULL on failure. */
struct bench_tcb_table *bench_tcb_table_open(uint32_t n);
int bench_tcb_table_close(struct bench_tcb_table *tt); /* as bench_tcp_close() */
/* Looks up n keys, present ones (hit) or absent ones (miss), in a scrambled order that
 * continues from the last call; returns how many were found. *cycles gets the TSC cycles. */
uint32_t bench_tcb_lookup_run(struct bench_tcb_table *tt, unsigned int n, bool hit,
	uint64_t *cycles);

/* ---- the relay's splice ---- */
struct bench_splice;

/* An lcore with the relay on its port (and its end of a plane channel named after the
 * process) transmitting to port, and two device connections paired by a PAIR message, as
 * the control plane would. NULL on failure. */
struct bench_splice *bench_splice_open(struct bench_port port);
int bench_splice_close(struct bench_splice *sp); /* as bench_tcp_close() */
/* n (<= 1024) segments from device A, each one whole DATA frame of seg_bytes bytes (header
 * included, 5..1448), and device B's ACKs for the relayed bytes, one per two full
 * segments; rx_cksum_good as for bench_tcp_input_prep(). The first call grows B's cwnd
 * first. */
int bench_splice_prep(struct bench_splice *sp, unsigned int n, uint32_t seg_bytes,
	bool rx_cksum_good);
/* Feeds A's segments in bursts of 32 (fxr_tcp_input(), fxr_tcp_flush(): the relay queues
 * them on B, B transmits), then B's ACKs; checks that every byte reached B's send queue,
 * went out and was acknowledged. *cycles gets the TSC cycles of the whole, *rx_cycles the
 * part before B's ACKs. */
int bench_splice_run(struct bench_splice *sp, uint64_t *cycles, uint64_t *rx_cycles);
/* Relayed bytes so far: by mbuf reference and copied (relay_copied_bytes). */
void bench_splice_bytes(const struct bench_splice *sp, uint64_t *relayed, uint64_t *copied);

#ifdef __cplusplus
}
#endif

#endif
