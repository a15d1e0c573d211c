/* dataplane/counters.c: names, publication and readers of the per-lcore counters. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "counters.h"

static const char *const ctr_names[FXR_CTR__COUNT] = {
#define FXR_CTR(sym, help) [FXR_CTR_##sym] = #sym,
#include "counters.def"
#undef FXR_CTR
};

static const char *const ctr_helps[FXR_CTR__COUNT] = {
#define FXR_CTR(sym, help) [FXR_CTR_##sym] = help,
#include "counters.def"
#undef FXR_CTR
};

/* Attached published sets; written by the main thread before any reader exists. */
static const struct fxr_counters *attached[RTE_MAX_LCORE];
static unsigned int n_attached;

const char *fxr_ctr_name(enum fxr_ctr id)
{
	return (unsigned int)id < FXR_CTR__COUNT ? ctr_names[id] : NULL;
}

const char *fxr_ctr_help(enum fxr_ctr id)
{
	return (unsigned int)id < FXR_CTR__COUNT ? ctr_helps[id] : NULL;
}

void fxr_counters_publish(struct fxr_counters *published, const struct fxr_counters *local)
{
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++)
		if (published->v[i] != local->v[i])
			__atomic_store_n(&published->v[i], local->v[i], __ATOMIC_RELAXED);
}

int fxr_counters_attach(const struct fxr_counters *published)
{
	if (n_attached >= RTE_DIM(attached))
		return -ENOSPC;
	attached[n_attached++] = published;
	return 0;
}

void fxr_counters_sum(struct fxr_counters *sum)
{
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++) {
		uint64_t total = 0;

		for (unsigned int l = 0; l < n_attached; l++)
			total += __atomic_load_n(&attached[l]->v[i], __ATOMIC_RELAXED);
		sum->v[i] = total;
	}
}

/* Telemetry thread: answers /fxr/counters with {name: value} for every counter. */
static int counters_telemetry_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fxr_counters sum;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	fxr_counters_sum(&sum);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++)
		rte_tel_data_add_dict_u64(d, ctr_names[i], sum.v[i]);
	/* not a counter: what busy_cycles are counted in */
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	return 0;
}

/* Telemetry thread: answers /fxr/lcore_counters,N with lcore index N's own counters. */
static int lcore_counters_telemetry_cb(const char *cmd, const char *params,
	struct rte_tel_data *d)
{
	char *end;
	unsigned long l;

	RTE_SET_USED(cmd);
	if (params == NULL || *params == '\0')
		return -EINVAL;
	l = strtoul(params, &end, 10);
	if (*end != '\0' || l >= n_attached)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++)
		rte_tel_data_add_dict_u64(d, ctr_names[i],
			__atomic_load_n(&attached[l]->v[i], __ATOMIC_RELAXED));
	return 0;
}

int fxr_counters_telemetry_init(void)
{
	int rc;

	RTE_BUILD_BUG_ON(FXR_CTR__COUNT + 1 > RTE_TEL_MAX_DICT_ENTRIES);
	rc = rte_telemetry_register_cmd("/fxr/counters", counters_telemetry_cb,
		"Returns the fxr-dataplane counters summed over all lcores, and tsc_hz. Takes no parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/fxr/lcore_counters", lcore_counters_telemetry_cb,
			"Returns one lcore's fxr-dataplane counters. Parameter: the lcore's index"
			" (0 .. lcores - 1, the queue it serves).");
	return rc;
}

void fxr_counters_dump(FILE *out)
{
	struct fxr_counters sum;
	unsigned int nonzero = 0;

	fxr_counters_sum(&sum);
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++) {
		if (sum.v[i] == 0)
			continue;
		fprintf(out, "%-28s %" PRIu64 "\n", ctr_names[i], sum.v[i]);
		nonzero++;
	}
	fprintf(out, "counters: %u non-zero\n", nonzero);
}
