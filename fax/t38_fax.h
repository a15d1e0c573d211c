/* fax/t38_fax.h: one T.38 fax machine (spandsp's t38_terminal with its T.30 engine) that
 * speaks T.38 over TCP: IFP packets in TPKT framing (ITU-T T.38 §8.2, RFC 1006) on a byte
 * stream. Transport-agnostic: the caller moves bytes in and out (libfxr DATA frames in
 * fxr-fax, a memory pipe in tests) and advances time; nothing here does I/O or reads a clock.
 * One machine belongs to one thread. */
#ifndef FXR_T38_FAX_H
#define FXR_T38_FAX_H

#include <stddef.h>
#include <stdint.h>

enum fxr_fax_role {
	FXR_FAX_SEND,    /* the calling machine, transmitting a TIFF */
	FXR_FAX_RECEIVE, /* the answering machine, writing a TIFF-F */
};

struct fxr_fax_cfg {
	enum fxr_fax_role role;
	const char *file;   /* SEND: the TIFF to send; RECEIVE: where to write the fax */
	const char *ident;  /* TSI/CSI: at most 20 printable characters; NULL: none */
	int ecm;            /* error correction mode (T.30 Annex A); on by default in fxr-fax */
};

struct fxr_fax_result {
	int done;           /* phase E reached */
	int completion;     /* T.30 completion code (0: success) */
	const char *text;   /* its description (spandsp's words) */
	int pages;          /* pages sent (SEND) or received (RECEIVE) */
	int pages_in_file;  /* SEND: pages in the TIFF */
	int bit_rate;       /* last image bit rate, bit/s */
	int ecm;            /* whether ECM was used */
	uint64_t bytes_out; /* stream bytes produced (TPKT + IFP) */
	uint64_t bytes_in;  /* stream bytes consumed */
};

struct fxr_fax;

/* Checks that path is a TIFF a fax machine can send: every page 1 bit per pixel, one sample,
 * a standard fax width (1728, 2048 or 2432 pixels) and resolution. Returns the page count
 * (> 0) or a negative errno with a one-line reason in err. Call it before dialling. */
int fxr_fax_tiff_check(const char *path, char *err, size_t errlen);

/* Creates a machine. Returns 0 or a negative errno with a reason in err. */
int fxr_fax_open(struct fxr_fax **f, const struct fxr_fax_cfg *cfg, char *err, size_t errlen);
void fxr_fax_close(struct fxr_fax *f);

/* Bytes the machine has for the stream: *p points at them, valid until the next call on f.
 * Returns how many (0: none). Call fxr_fax_out_consume with what was taken. */
size_t fxr_fax_out_peek(struct fxr_fax *f, const uint8_t **p);
void fxr_fax_out_consume(struct fxr_fax *f, size_t n);

/* Bytes from the stream, any amount, cut anywhere. Returns 0, or -EBADMSG when the stream is
 * not TPKT (the call cannot go on). */
int fxr_fax_in(struct fxr_fax *f, const uint8_t *p, size_t n);

/* Advances the machine's time by ms milliseconds (its timers, and image pacing). */
void fxr_fax_advance(struct fxr_fax *f, unsigned ms);

/* Fills r. done stays 0 until phase E. */
void fxr_fax_result(const struct fxr_fax *f, struct fxr_fax_result *r);

#endif
