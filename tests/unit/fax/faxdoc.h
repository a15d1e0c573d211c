/* A multi-page fax test document written with libtiff: 1728 pixels wide, 204x98 dpi, T.6,
 * each page a different pattern (so a page swapped, dropped or damaged shows), and a page
 * comparison by pixels. Shared by the fax tests. */
#ifndef FXR_TEST_FAXDOC_H
#define FXR_TEST_FAXDOC_H

/* Writes pages pages of rows rows each to path; page alter (-1: none) gets its diagonal
 * moved, so it differs from the same page of an unaltered document. Returns 0 or -1. */
int faxdoc_write(const char *path, int pages, int rows, int alter);

/* Compares two TIFFs page by page, pixel by pixel. Returns the number of pages that are
 * equal when all are, or -(1 + the first differing page index) (-1000 when unreadable or the
 * page counts differ). */
int faxdoc_compare(const char *a, const char *b);

#endif
