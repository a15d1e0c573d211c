/* fxr-controlplane: the connection side table, what the control plane keeps beside the
 * session machine for each connection (address, age, the SCRAM exchange under way). */
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "fxr/scram.h"
#include "idmap.h"

struct cp_conn *cp_conn_get(struct cp *cp, uint64_t id)
{
	uint32_t i = fxr_idmap_u64_get(&cp->conn_by_id, id);
	return i == CP_NONE ? NULL : &cp->conns[i];
}

struct cp_conn *cp_conn_add(struct cp *cp, uint64_t id, const struct fxr_chan_addr *addr,
				uint64_t since_ms)
{
	if (cp->conn_free == CP_NONE || cp_conn_get(cp, id))
		return NULL;
	uint32_t i = cp->conn_free;
	struct cp_conn *c = &cp->conns[i];
	if (fxr_idmap_u64_put(&cp->conn_by_id, id, i) != 0)
		return NULL;
	cp->conn_free = c->next_free;
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->since_ms = since_ms;
	if (addr)
		c->addr = *addr;
	return c;
}

void cp_scram_drop(struct cp_conn *c)
{
	if (c->scram) {
		fxr_scram_server_clear(c->scram);
		free(c->scram);
		c->scram = NULL;
	}
}

void cp_conn_forget(struct cp *cp, uint64_t id)
{
	uint32_t i = fxr_idmap_u64_get(&cp->conn_by_id, id);
	if (i == CP_NONE)
		return;
	struct cp_conn *c = &cp->conns[i];
	cp_scram_drop(c);
	fxr_idmap_u64_del(&cp->conn_by_id, id);
	memset(c, 0, sizeof(*c));
	c->next_free = cp->conn_free;
	cp->conn_free = i;
}
