/* See faxdoc.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "faxdoc.h"

#define WIDTH 1728

/* Page p, row y: black is 1 (MINISWHITE). Bars whose count tells the page number, a
 * checkerboard whose square size depends on the page, and a diagonal. */
static void row(uint8_t *line, int p, int y, int shift)
{
	memset(line, 0, WIDTH / 8);
	for (int x = 0; x < WIDTH; x++) {
		int black = 0;
		if (y < 60 && x < 80 * (p + 1) && (x / 40) % 2 == 0)
			black = 1;                              /* p + 1 bars */
		else if (y >= 100 && ((x / (8 << p)) + (y / (8 << p))) % 2 == 0 && x < 600)
			black = 1;                              /* checkerboard */
		else if (x >= 800 && (x - 800) == (y * 3 + p * 50 + shift) % 900)
			black = 1;                              /* diagonal */
		if (black)
			line[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	}
}

int faxdoc_write(const char *path, int pages, int rows, int alter)
{
	TIFF *t = TIFFOpen(path, "w");
	if (!t)
		return -1;
	uint8_t line[WIDTH / 8];
	for (int p = 0; p < pages; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, WIDTH);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 98.0);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
		for (int y = 0; y < rows; y++) {
			row(line, p, y, p == alter ? 7 : 0);
			if (TIFFWriteScanline(t, line, (uint32_t)y, 0) < 0) {
				TIFFClose(t);
				return -1;
			}
		}
		if (!TIFFWriteDirectory(t)) {
			TIFFClose(t);
			return -1;
		}
	}
	TIFFClose(t);
	return 0;
}

int faxdoc_compare(const char *a, const char *b)
{
	TIFF *ta = TIFFOpen(a, "r"), *tb = TIFFOpen(b, "r");
	int page = 0, rc = -1000;
	if (!ta || !tb)
		goto out;
	for (;;) {
		uint32_t wa = 0, ha = 0, wb = 0, hb = 0;
		TIFFGetField(ta, TIFFTAG_IMAGEWIDTH, &wa);
		TIFFGetField(ta, TIFFTAG_IMAGELENGTH, &ha);
		TIFFGetField(tb, TIFFTAG_IMAGEWIDTH, &wb);
		TIFFGetField(tb, TIFFTAG_IMAGELENGTH, &hb);
		if (wa != wb || ha != hb) {
			rc = -(1 + page);
			goto out;
		}
		tmsize_t sz = TIFFScanlineSize(ta);
		uint8_t *la = malloc((size_t)sz), *lb = malloc((size_t)sz);
		int same = la && lb;
		for (uint32_t y = 0; same && y < ha; y++)
			same = TIFFReadScanline(ta, la, y, 0) >= 0 && TIFFReadScanline(tb, lb, y, 0) >= 0 &&
			       memcmp(la, lb, (size_t)sz) == 0;
		free(la);
		free(lb);
		if (!same) {
			rc = -(1 + page);
			goto out;
		}
		page++;
		int more_a = TIFFReadDirectory(ta), more_b = TIFFReadDirectory(tb);
		if (more_a != more_b) {
			rc = -1000;
			goto out;
		}
		if (!more_a)
			break;
	}
	rc = page;
out:
	if (ta)
		TIFFClose(ta);
	if (tb)
		TIFFClose(tb);
	return rc;
}
