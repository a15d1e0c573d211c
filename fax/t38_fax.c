/* A T.38 fax machine on a byte stream; see t38_fax.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

#include "t38_fax.h"
#include "tpkt.h"

#define SAMPLES_PER_MS 8
#define OUT_MAX (1u << 20) /* bytes waiting for the transport; a page is far less */

struct fxr_fax {
	t38_terminal_state_t *t38;
	t30_state_t *t30;
	enum fxr_fax_role role;
	int done;
	int completion;
	int overflow;       /* the transport did not keep up: the call fails */
	uint16_t rx_seq;
	struct fxr_tpkt_rx rx;
	uint64_t bytes_in;
	uint64_t bytes_out;
	size_t out_head, out_len;
	uint8_t out[OUT_MAX];
	uint8_t rx_buf[FXR_TPKT_MAX_PAYLOAD];
};

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* libtiff reports through global handlers; keep them quiet, we report per call. */
static void tiff_quiet(const char *module, const char *fmt, va_list ap)
{
	(void)module;
	(void)fmt;
	(void)ap;
}

int fxr_fax_tiff_check(const char *path, char *err, size_t errlen)
{
	TIFFSetErrorHandler(tiff_quiet);
	TIFFSetWarningHandler(tiff_quiet);
	TIFF *t = TIFFOpen(path, "r");
	if (!t) {
		say(err, errlen, "%s: not a readable TIFF file", path);
		return -EINVAL;
	}
	int pages = 0, rc = 0;
	do {
		uint32_t w = 0, h = 0;
		uint16_t bps = 0, spp = 1, unit = RESUNIT_INCH;
		float xres = 0, yres = 0;
		pages++;
		TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
		TIFFGetField(t, TIFFTAG_BITSPERSAMPLE, &bps);
		TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
		TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
		if (!TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres) ||
		    !TIFFGetField(t, TIFFTAG_YRESOLUTION, &yres)) {
			say(err, errlen, "%s: page %d has no resolution", path, pages);
			rc = -EINVAL;
			break;
		}
		if (unit == RESUNIT_CENTIMETER) {
			xres *= 2.54f;
			yres *= 2.54f;
		}
		if (bps != 1 || spp != 1) {
			say(err, errlen, "%s: page %d is not black and white (%u bits, %u samples per pixel); "
				"fax pages are 1 bit per pixel", path, pages, bps, spp);
			rc = -EINVAL;
			break;
		}
		if (w != 1728 && w != 2048 && w != 2432) {
			say(err, errlen, "%s: page %d is %u pixels wide; fax pages are 1728 (A4), "
				"2048 (B4) or 2432 (A3)", path, pages, w);
			rc = -EINVAL;
			break;
		}
		/* T.30 Table 2: 200/204, 300, 400/408 dpi across; 98 to 400 lines per inch down */
		if (xres < 195 || xres > 412 || yres < 95 || yres > 412 || h == 0) {
			say(err, errlen, "%s: page %d resolution %.0fx%.0f dpi is not a fax resolution "
				"(e.g. 204x98 or 204x196)", path, pages, xres, yres);
			rc = -EINVAL;
			break;
		}
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
	return rc ? rc : pages;
}

/* t38_core hands us each IFP packet to send (count is a UDPTL redundancy hint: one copy on
 * a reliable stream). */
static int tx_packet(t38_core_state_t *core, void *user, const uint8_t *buf, int len, int count)
{
	struct fxr_fax *f = user;
	(void)core;
	(void)count;
	if (len <= 0 || (size_t)len > FXR_TPKT_MAX_PAYLOAD)
		return -1;
	size_t need = FXR_TPKT_HDR_LEN + (size_t)len;
	if (f->out_head + f->out_len + need > OUT_MAX) {
		memmove(f->out, f->out + f->out_head, f->out_len);
		f->out_head = 0;
	}
	if (f->out_len + need > OUT_MAX) {
		f->overflow = 1;
		return -1;
	}
	uint8_t *p = f->out + f->out_head + f->out_len;
	fxr_tpkt_hdr_put(p, (size_t)len);
	memcpy(p + FXR_TPKT_HDR_LEN, buf, (size_t)len);
	f->out_len += need;
	f->bytes_out += need;
	return 0;
}

static void phase_e(t30_state_t *t30, void *user, int completion)
{
	struct fxr_fax *f = user;
	(void)t30;
	f->done = 1;
	f->completion = completion;
}

int fxr_fax_open(struct fxr_fax **out, const struct fxr_fax_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg->file) {
		say(err, errlen, "no file given");
		return -EINVAL;
	}
	if (cfg->role == FXR_FAX_SEND) {
		int rc = fxr_fax_tiff_check(cfg->file, err, errlen);
		if (rc < 0)
			return rc;
	}
	struct fxr_fax *f = calloc(1, sizeof(*f));
	if (!f) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	f->role = cfg->role;
	fxr_tpkt_rx_init(&f->rx, f->rx_buf);
	f->t38 = t38_terminal_init(NULL, cfg->role == FXR_FAX_SEND, tx_packet, f);
	if (!f->t38) {
		free(f);
		say(err, errlen, "spandsp: cannot create a T.38 terminal");
		return -ENOMEM;
	}
	/* T.38 §8.2 over TCP: reliable, so no indicator repeats and no pacing to a modem's
	 * speed; the transport's flow control paces the image data. */
	t38_core_state_t *core = t38_terminal_get_t38_core_state(f->t38);
	t38_set_data_transport_protocol(core, T38_TRANSPORT_TCP_TPKT);
	t38_terminal_set_config(f->t38, T38_TERMINAL_OPTION_NO_PACING |
					T38_TERMINAL_OPTION_NO_INDICATORS);
	f->t30 = t38_terminal_get_t30_state(f->t38);
	if (cfg->ident)
		t30_set_tx_ident(f->t30, cfg->ident);
	t30_set_ecm_capability(f->t30, cfg->ecm);
	t30_set_supported_compressions(f->t30, T30_SUPPORT_T4_1D_COMPRESSION |
					       T30_SUPPORT_T4_2D_COMPRESSION |
					       (cfg->ecm ? T30_SUPPORT_T6_COMPRESSION : 0));
	t30_set_phase_e_handler(f->t30, phase_e, f);
	if (cfg->role == FXR_FAX_SEND)
		t30_set_tx_file(f->t30, cfg->file, -1, -1);
	else
		t30_set_rx_file(f->t30, cfg->file, -1);
	*out = f;
	return 0;
}

void fxr_fax_close(struct fxr_fax *f)
{
	if (!f)
		return;
	/* an unfinished call still closes its files cleanly */
	if (!f->done)
		t30_terminate(f->t30);
	t38_terminal_free(f->t38);
	free(f);
}

size_t fxr_fax_out_peek(struct fxr_fax *f, const uint8_t **p)
{
	*p = f->out + f->out_head;
	return f->out_len;
}

void fxr_fax_out_consume(struct fxr_fax *f, size_t n)
{
	if (n > f->out_len)
		n = f->out_len;
	f->out_head += n;
	f->out_len -= n;
	if (f->out_len == 0)
		f->out_head = 0;
}

int fxr_fax_in(struct fxr_fax *f, const uint8_t *p, size_t n)
{
	while (n) {
		long got;
		long used = fxr_tpkt_rx_feed(&f->rx, p, n, &got);
		if (used < 0)
			return (int)used;
		f->bytes_in += (uint64_t)used;
		p += used;
		n -= (size_t)used;
		if (got >= 0)
			t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(f->t38), f->rx_buf,
					       (int)got, f->rx_seq++);
	}
	return 0;
}

void fxr_fax_advance(struct fxr_fax *f, unsigned ms)
{
	if (f->done)
		return;
	t38_terminal_send_timeout(f->t38, (int)(ms * SAMPLES_PER_MS));
}

void fxr_fax_result(const struct fxr_fax *f, struct fxr_fax_result *r)
{
	t30_stats_t st;
	memset(r, 0, sizeof(*r));
	t30_get_transfer_statistics(f->t30, &st);
	r->done = f->done || f->overflow;
	r->completion = f->overflow ? -ENOBUFS : f->completion;
	r->text = f->overflow ? "the transport did not keep up (output buffer full)"
			      : t30_completion_code_to_str(f->completion);
	r->pages = f->role == FXR_FAX_SEND ? st.pages_tx : st.pages_rx;
	r->pages_in_file = st.pages_in_file;
	r->bit_rate = st.bit_rate;
	r->ecm = st.error_correcting_mode;
	r->bytes_out = f->bytes_out;
	r->bytes_in = f->bytes_in;
}
