/* Plane channel transport: DPDK rte_rings and message slabs in one POSIX shared-memory
 * mapping (fxr/chan_shm.h has the design and the crash contract).
 *
 * Ring internals used here, all from the public struct rte_ring (rte_ring_core.h): the
 * prod/cons head and tail counters (free-running u32), the mask, and the value table that
 * starts right after the struct. Attach reads them to repair its own ends of the rings;
 * every other access goes through the rte_ring_sp_enqueue_elem / sc_dequeue_elem API. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/compiler.h"

#include "chan_shm_test.h"

#define CHAN_MAGIC     UINT64_C(0x314e414843525846) /* "FXRCHAN1" little-endian */
#define CHAN_ALIGN     64u
#define CHAN_ESIZE     sizeof(uint64_t) /* ring element: a descriptor or a slot index */
#define CHAN_SLOT_MAX_SIZE (1u << 24)
#define CHAN_RING_FLAGS (RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ)

/* A descriptor: slot index in the low 32 bits, message length in the high 32 bits; length 0
 * is an empty descriptor that the receiver recycles without delivering. */
static inline uint64_t desc_make(uint32_t slot, uint32_t len)
{
	return (uint64_t)len << 32 | slot;
}

/* One lane and direction, in the mapping. Counters sit on the line of their only writer. */
struct shm_queue {
	/* producer's line */
	uint64_t sent;
	uint64_t full;
	uint64_t pad0[6];
	/* consumer's line */
	uint64_t received;
	uint64_t skipped;
	uint64_t bad; /* dequeued descriptors whose slot index was corrupt (never returned) */
	uint64_t pad1[5];
	/* set at create (immutable), and the control plane's attach */
	uint64_t used_off;
	uint64_t free_off;
	uint64_t slab_off;
	uint32_t slots;
	uint32_t slot_size;
	uint64_t reclaimed;
	uint64_t pad2[3];
};

_Static_assert(sizeof(struct shm_queue) == 3 * CHAN_ALIGN, "one cache line per writer");

/* The mapping's header. magic and abi_version keep their offsets in every version, so any
 * build can tell "not a channel" from "another version". */
struct shm_hdr {
	uint64_t magic; /* written last by create (release) */
	uint32_t abi_version;
	uint32_t hdr_size;
	uint64_t map_size;
	uint32_t ring_size; /* sizeof(struct rte_ring): the DPDK layout both ends must share */
	uint32_t lanes;
	int32_t dataplane_pid;
	int32_t control_pid; /* 0, or the attached control plane (CAS) */
	uint64_t control_attaches;
	uint64_t pad[2];
	struct shm_queue q[FXR_CHAN_LANES_MAX][2];
};

/* A process's view of one queue. */
struct chan_q {
	struct shm_queue *sq;
	struct rte_ring *used;
	struct rte_ring *free;
	uint8_t *slab;
	uint32_t slots;
	uint32_t slot_size;
};

struct fxr_chan {
	struct shm_hdr *hdr;
	size_t map_size;
	enum fxr_chan_role role;
	uint16_t lanes;
	char shm_name[8 + FXR_CHAN_NAME_MAX];
	struct chan_q q[FXR_CHAN_LANES_MAX][2];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static inline uint64_t align_up(uint64_t v)
{
	return (v + CHAN_ALIGN - 1) & ~(uint64_t)(CHAN_ALIGN - 1);
}

/* Single-writer counter bump: the value is read by the other process, never written. */
static inline void counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static bool pid_alive(int32_t pid)
{
	if (pid <= 0)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static bool name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > FXR_CHAN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Bytes of one ring of `slots` usable entries (EXACT_SZ rounds the table to a power of 2
 * above slots), or 0 when slots is out of range. */
static uint64_t ring_bytes(uint32_t slots)
{
	if (slots == 0 || slots > FXR_CHAN_SLOTS_MAX)
		return 0;
	ssize_t sz = rte_ring_get_memsize_elem(CHAN_ESIZE, rte_align32pow2(slots + 1));
	return sz < 0 ? 0 : align_up((uint64_t)sz);
}

void fxr_chan_cfg_default(struct fxr_chan_cfg *cfg, uint16_t lanes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->lanes = lanes;
	cfg->slots[FXR_CHAN_D2C] = 4096;
	cfg->slot_size[FXR_CHAN_D2C] = FXR_CHAN_SLOT_D2C;
	cfg->slots[FXR_CHAN_C2D] = 256;
	cfg->slot_size[FXR_CHAN_C2D] = FXR_CHAN_SLOT_C2D;
}

static int cfg_check(const struct fxr_chan_cfg *cfg)
{
	if (cfg->lanes == 0 || cfg->lanes > FXR_CHAN_LANES_MAX)
		return -EINVAL;
	for (int d = 0; d < 2; d++) {
		if (cfg->slots[d] == 0 || cfg->slots[d] > FXR_CHAN_SLOTS_MAX)
			return -EINVAL;
		if (cfg->slot_size[d] < FXR_CHAN_HDR_LEN || cfg->slot_size[d] % 8 ||
		    cfg->slot_size[d] > CHAN_SLOT_MAX_SIZE)
			return -EINVAL;
	}
	return 0;
}

/* Points the process-local view at the mapping; checks every offset against the map
 * size, since the header is shared memory another process wrote. */
static int bind_queues(struct fxr_chan *c)
{
	struct shm_hdr *h = c->hdr;
	for (unsigned l = 0; l < c->lanes; l++) {
		for (int d = 0; d < 2; d++) {
			struct shm_queue *sq = &h->q[l][d];
			struct chan_q *q = &c->q[l][d];
			uint64_t rb = ring_bytes(sq->slots);
			if (rb == 0 || sq->slot_size < FXR_CHAN_HDR_LEN ||
			    sq->slot_size > CHAN_SLOT_MAX_SIZE)
				return -EPROTO;
			if (sq->used_off < sizeof(*h) || sq->used_off + rb > c->map_size ||
			    sq->free_off < sizeof(*h) || sq->free_off + rb > c->map_size ||
			    sq->slab_off < sizeof(*h) ||
			    sq->slab_off + (uint64_t)sq->slots * sq->slot_size > c->map_size ||
			    (sq->used_off | sq->free_off | sq->slab_off) % CHAN_ALIGN)
				return -EPROTO;
			q->sq = sq;
			q->used = (struct rte_ring *)((uint8_t *)h + sq->used_off);
			q->free = (struct rte_ring *)((uint8_t *)h + sq->free_off);
			q->slab = (uint8_t *)h + sq->slab_off;
			q->slots = sq->slots;
			q->slot_size = sq->slot_size;
		}
	}
	return 0;
}

/* A mapping of this name already exists: replace it only when its dataplane is dead. */
static int replace_stale(const char *shm_name, char *err, size_t errlen)
{
	int fd = shm_open(shm_name, O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	int32_t owner = 0;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(struct shm_hdr)) {
		struct shm_hdr *h = mmap(NULL, sizeof(*h), PROT_READ, MAP_SHARED, fd, 0);
		if (h != MAP_FAILED) {
			if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == CHAN_MAGIC)
				owner = h->dataplane_pid;
			munmap(h, sizeof(*h));
		}
	}
	close(fd);
	if (owner != 0 && pid_alive(owner)) {
		set_err(err, errlen, "channel %s is owned by live dataplane pid %d", shm_name,
			(int)owner);
		return -EADDRINUSE;
	}
	if (shm_unlink(shm_name) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int fxr_chan_create(const char *name, const struct fxr_chan_cfg *cfg, struct fxr_chan **out,
		    char *err, size_t errlen)
{
	if (!name_valid(name) || cfg == NULL || out == NULL || cfg_check(cfg) != 0) {
		set_err(err, errlen, "invalid channel name or layout");
		return -EINVAL;
	}
	struct fxr_chan *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->role = FXR_CHAN_ROLE_DATAPLANE;
	c->lanes = cfg->lanes;
	snprintf(c->shm_name, sizeof(c->shm_name), "/fxr-%s", name);

	/* layout: header, then per lane and direction: used ring, free ring, slab */
	uint64_t off = align_up(sizeof(struct shm_hdr));
	uint64_t offs[FXR_CHAN_LANES_MAX][2][3];
	for (unsigned l = 0; l < cfg->lanes; l++) {
		for (int d = 0; d < 2; d++) {
			uint64_t rb = ring_bytes(cfg->slots[d]);
			offs[l][d][0] = off;
			off += rb;
			offs[l][d][1] = off;
			off += rb;
			offs[l][d][2] = off;
			off = align_up(off + (uint64_t)cfg->slots[d] * cfg->slot_size[d]);
		}
	}
	c->map_size = (size_t)off;

	int rc = 0;
	int fd = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		fd = shm_open(c->shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
		rc = replace_stale(c->shm_name, err, errlen);
		if (rc != 0)
			goto fail;
	}
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "shm_open %s: %s", c->shm_name, strerror(errno));
		goto fail;
	}
	if (ftruncate(fd, (off_t)c->map_size) != 0) {
		rc = -errno;
		set_err(err, errlen, "ftruncate %s: %s", c->shm_name, strerror(errno));
		close(fd);
		shm_unlink(c->shm_name);
		goto fail;
	}
	void *map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (rc != 0) {
		set_err(err, errlen, "mmap %s: %s", c->shm_name, strerror(-rc));
		shm_unlink(c->shm_name);
		goto fail;
	}
	c->hdr = map;

	struct shm_hdr *h = c->hdr;
	h->abi_version = FXR_CHAN_ABI_VERSION;
	h->hdr_size = sizeof(*h);
	h->map_size = c->map_size;
	h->ring_size = sizeof(struct rte_ring);
	h->lanes = cfg->lanes;
	h->dataplane_pid = (int32_t)getpid();
	for (unsigned l = 0; l < cfg->lanes; l++) {
		for (int d = 0; d < 2; d++) {
			struct shm_queue *sq = &h->q[l][d];
			sq->used_off = offs[l][d][0];
			sq->free_off = offs[l][d][1];
			sq->slab_off = offs[l][d][2];
			sq->slots = cfg->slots[d];
			sq->slot_size = cfg->slot_size[d];
		}
	}
	FXR_BUG_ON(bind_queues(c) != 0);
	for (unsigned l = 0; l < cfg->lanes; l++) {
		for (int d = 0; d < 2; d++) {
			struct chan_q *q = &c->q[l][d];
			char rname[RTE_RING_NAMESIZE];
			snprintf(rname, sizeof(rname), "fxr-%u-%s-used", l, d ? "c2d" : "d2c");
			if (rte_ring_init(q->used, rname, q->slots, CHAN_RING_FLAGS) != 0)
				rc = -EINVAL;
			snprintf(rname, sizeof(rname), "fxr-%u-%s-free", l, d ? "c2d" : "d2c");
			if (rte_ring_init(q->free, rname, q->slots, CHAN_RING_FLAGS) != 0)
				rc = -EINVAL;
			for (uint32_t s = 0; rc == 0 && s < q->slots; s++) {
				uint64_t v = s;
				if (rte_ring_sp_enqueue_elem(q->free, &v, CHAN_ESIZE) != 0)
					rc = -EINVAL;
			}
		}
	}
	if (rc != 0) {
		set_err(err, errlen, "rte_ring_init failed in %s", c->shm_name);
		munmap(c->hdr, c->map_size);
		shm_unlink(c->shm_name);
		goto fail;
	}
	/* publish: an attacher that sees the magic sees everything above */
	__atomic_store_n(&h->magic, CHAN_MAGIC, __ATOMIC_RELEASE);
	*out = c;
	return 0;
fail:
	free(c);
	return rc;
}

/* Control plane, at attach, lane l: repair the ends of the rings that only the control
 * plane writes (chan_shm.h "Crashes"). The dataplane keeps running meanwhile: it touches
 * only the other ends. */
static int repair_lane(struct fxr_chan *c, unsigned l)
{
	/* dataplane -> control: we consume `used` and produce `free` */
	struct chan_q *q = &c->q[l][FXR_CHAN_D2C];
	struct rte_ring *u = q->used, *f = q->free;
	(void)__atomic_load_n(&u->prod.tail, __ATOMIC_ACQUIRE); /* table entries below it */
	u->cons.head = u->cons.tail; /* an unfinished dequeue took nothing */
	f->prod.head = f->prod.tail; /* an unfinished return gave nothing back */
	/* every dequeue is followed by exactly one return, in order; the free ring started
	 * with `slots` entries */
	uint32_t taken = u->cons.tail;
	uint32_t bad = (uint32_t)q->sq->bad;
	uint32_t lost = taken - (f->prod.tail - q->slots) - bad;
	if (lost > q->slots)
		return -EPROTO;
	/* the lost slots' descriptors are still in the table: the producer cannot reach
	 * those positions while the slots are out of circulation */
	const uint64_t *utab = (const uint64_t *)&u[1];
	for (uint32_t i = 0; i < lost; i++) {
		uint64_t slot = (uint32_t)utab[(taken - lost + i) & u->mask];
		if (slot >= q->slots) {
			counter_add(&q->sq->bad, 1); /* corrupt: that slot is gone for good */
			continue;
		}
		if (rte_ring_sp_enqueue_elem(f, &slot, CHAN_ESIZE) != 0)
			return -EPROTO;
		counter_add(&q->sq->reclaimed, 1);
	}
	/* received counts dequeues: fix the ones the dead process made but did not count */
	uint64_t rx = q->sq->received;
	counter_add(&q->sq->received, (uint32_t)(taken - (uint32_t)rx));

	/* control -> dataplane: we produce `used` and consume `free` */
	q = &c->q[l][FXR_CHAN_C2D];
	u = q->used;
	f = q->free;
	u->prod.head = u->prod.tail;
	f->cons.head = f->cons.tail;
	uint32_t published = u->prod.tail;
	uint32_t held = f->cons.tail - published; /* taken from free, never published */
	if (held > q->slots)
		return -EPROTO;
	uint64_t tx = q->sq->sent;
	counter_add(&q->sq->sent, (uint32_t)(published - (uint32_t)tx));
	const uint64_t *ftab = (const uint64_t *)&f[1];
	for (uint32_t i = 0; i < held; i++) {
		uint64_t slot = (uint32_t)ftab[(f->cons.tail - held + i) & f->mask];
		uint64_t d = desc_make((uint32_t)slot, 0);
		if (rte_ring_sp_enqueue_elem(u, &d, CHAN_ESIZE) != 0)
			return -EPROTO;
		counter_add(&q->sq->reclaimed, 1);
	}
	return 0;
}

int fxr_chan_attach(const char *name, struct fxr_chan **out, char *err, size_t errlen)
{
	if (!name_valid(name) || out == NULL) {
		set_err(err, errlen, "invalid channel name");
		return -EINVAL;
	}
	struct fxr_chan *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->role = FXR_CHAN_ROLE_CONTROL;
	snprintf(c->shm_name, sizeof(c->shm_name), "/fxr-%s", name);

	int rc;
	int fd = shm_open(c->shm_name, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "channel %s: %s", c->shm_name, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	if (st.st_size == 0) {
		close(fd);
		set_err(err, errlen, "channel %s is being created", c->shm_name);
		rc = -EAGAIN;
		goto fail;
	}
	if ((size_t)st.st_size < sizeof(uint64_t) + sizeof(uint32_t)) {
		close(fd);
		set_err(err, errlen, "%s is not an fxr channel (too small)", c->shm_name);
		rc = -EPROTO;
		goto fail;
	}
	c->map_size = (size_t)st.st_size;
	void *map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (rc != 0) {
		set_err(err, errlen, "mmap %s: %s", c->shm_name, strerror(-rc));
		goto fail;
	}
	c->hdr = map;
	struct shm_hdr *h = c->hdr;

	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic == 0) {
		set_err(err, errlen, "channel %s is being created", c->shm_name);
		rc = -EAGAIN;
		goto unmap;
	}
	if (magic != CHAN_MAGIC) {
		set_err(err, errlen, "%s is not an fxr channel (bad magic)", c->shm_name);
		rc = -EPROTO;
		goto unmap;
	}
	if (h->abi_version != FXR_CHAN_ABI_VERSION) {
		set_err(err, errlen,
			"channel %s speaks ABI version %u, this build speaks %u: run matching "
			"dataplane and control plane builds",
			c->shm_name, h->abi_version, FXR_CHAN_ABI_VERSION);
		rc = -EPROTONOSUPPORT;
		goto unmap;
	}
	if (c->map_size < sizeof(*h) || h->hdr_size != sizeof(*h) ||
	    h->ring_size != sizeof(struct rte_ring)) {
		set_err(err, errlen, "channel %s: header or DPDK ring layout differs from this build",
			c->shm_name);
		rc = -EPROTONOSUPPORT;
		goto unmap;
	}
	if (h->map_size != c->map_size || h->lanes == 0 || h->lanes > FXR_CHAN_LANES_MAX) {
		set_err(err, errlen, "channel %s: corrupt header", c->shm_name);
		rc = -EPROTO;
		goto unmap;
	}
	c->lanes = (uint16_t)h->lanes;
	if (bind_queues(c) != 0) {
		set_err(err, errlen, "channel %s: corrupt queue layout", c->shm_name);
		rc = -EPROTO;
		goto unmap;
	}

	/* claim the control role: free, or held by a process that is gone */
	int32_t self = (int32_t)getpid();
	int32_t cur = __atomic_load_n(&h->control_pid, __ATOMIC_ACQUIRE);
	for (int tries = 0;; tries++) {
		if (cur != 0 && pid_alive(cur)) {
			set_err(err, errlen, "channel %s: control plane pid %d is attached",
				c->shm_name, (int)cur);
			rc = -EBUSY;
			goto unmap;
		}
		if (__atomic_compare_exchange_n(&h->control_pid, &cur, self, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
		if (tries > 16) {
			rc = -EBUSY;
			goto unmap;
		}
	}
	for (unsigned l = 0; l < c->lanes; l++) {
		rc = repair_lane(c, l);
		if (rc != 0) {
			set_err(err, errlen, "channel %s: lane %u rings are inconsistent",
				c->shm_name, l);
			__atomic_store_n(&h->control_pid, 0, __ATOMIC_RELEASE);
			goto unmap;
		}
	}
	counter_add(&h->control_attaches, 1);
	*out = c;
	return 0;
unmap:
	munmap(c->hdr, c->map_size);
fail:
	free(c);
	return rc;
}

void fxr_chan_close(struct fxr_chan *c)
{
	if (c == NULL)
		return;
	int32_t self = (int32_t)getpid();
	if (c->role == FXR_CHAN_ROLE_CONTROL) {
		int32_t expect = self;
		__atomic_compare_exchange_n(&c->hdr->control_pid, &expect, 0, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	} else if (c->hdr->dataplane_pid == self) {
		/* an attached control plane sees the channel end now, not at our exit */
		__atomic_store_n(&c->hdr->dataplane_pid, 0, __ATOMIC_RELEASE);
		shm_unlink(c->shm_name);
	}
	munmap(c->hdr, c->map_size);
	free(c);
}

static inline enum fxr_chan_dir tx_dir(const struct fxr_chan *c)
{
	return c->role == FXR_CHAN_ROLE_DATAPLANE ? FXR_CHAN_D2C : FXR_CHAN_C2D;
}

/* Takes a free slot of lane's sending queue into *slot, or counts a full queue. */
static inline int slot_take(struct chan_q *q, uint32_t *slot)
{
	uint64_t v;
	if (fxr_unlikely(rte_ring_sc_dequeue_elem(q->free, &v, CHAN_ESIZE) != 0)) {
		counter_add(&q->sq->full, 1);
		return -ENOBUFS;
	}
	/* the free ring is filled by the other process: never trust an index from it */
	if (fxr_unlikely(v >= q->slots))
		return -EIO;
	*slot = (uint32_t)v;
	return 0;
}

static inline void slot_publish(struct chan_q *q, uint32_t slot, uint32_t len)
{
	uint64_t d = desc_make(slot, len);
	/* the used ring holds as many entries as there are slots, and we hold one */
	int rc = rte_ring_sp_enqueue_elem(q->used, &d, CHAN_ESIZE);
	FXR_BUG_ON(rc != 0);
	counter_add(&q->sq->sent, 1);
}

int fxr_chan_send(struct fxr_chan *c, unsigned lane, const uint8_t *msg, size_t len)
{
	if (fxr_unlikely(lane >= c->lanes || len < FXR_CHAN_HDR_LEN))
		return -EINVAL;
	enum fxr_chan_dir dir = tx_dir(c);
	const struct fxr_chan_info *ci = fxr_chan_info(msg[0]);
	if (fxr_unlikely(ci == NULL || ci->dir != dir || msg[1] != lane ||
			 FXR_CHAN_HDR_LEN + (size_t)fxr_get_le32(msg + 4) != len))
		return -EINVAL;
	struct chan_q *q = &c->q[lane][dir];
	if (fxr_unlikely(len > q->slot_size))
		return -EMSGSIZE;
	uint32_t slot;
	int rc = slot_take(q, &slot);
	if (fxr_unlikely(rc != 0))
		return rc;
	memcpy(q->slab + (size_t)slot * q->slot_size, msg, len);
	slot_publish(q, slot, (uint32_t)len);
	return 0;
}

int fxr_chan_send_msg(struct fxr_chan *c, unsigned lane, const struct fxr_chan_msg *m)
{
	if (fxr_unlikely(lane >= c->lanes))
		return -EINVAL;
	enum fxr_chan_dir dir = tx_dir(c);
	const struct fxr_chan_info *ci = fxr_chan_info(m->type);
	int len = fxr_chan_msg_len(m);
	if (fxr_unlikely(ci == NULL || ci->dir != dir || m->lcore != lane || len < 0))
		return -EINVAL;
	struct chan_q *q = &c->q[lane][dir];
	if (fxr_unlikely((uint32_t)len > q->slot_size))
		return -EMSGSIZE;
	uint32_t slot;
	int rc = slot_take(q, &slot);
	if (fxr_unlikely(rc != 0))
		return rc;
	rc = fxr_chan_msg_encode(m, q->slab + (size_t)slot * q->slot_size, q->slot_size);
	FXR_BUG_ON(rc != len); /* checked above: encode cannot fail */
	slot_publish(q, slot, (uint32_t)len);
	return 0;
}

int fxr_chan_recv(struct fxr_chan *c, unsigned lane, uint8_t *buf, size_t cap)
{
	enum fxr_chan_dir dir = tx_dir(c) == FXR_CHAN_D2C ? FXR_CHAN_C2D : FXR_CHAN_D2C;
	if (fxr_unlikely(lane >= c->lanes))
		return -EINVAL;
	struct chan_q *q = &c->q[lane][dir];
	if (fxr_unlikely(cap < q->slot_size))
		return -EINVAL;
	/* empty descriptors are at most one per slot */
	for (uint32_t i = 0; i <= q->slots; i++) {
		uint64_t d;
		if (rte_ring_sc_dequeue_elem(q->used, &d, CHAN_ESIZE) != 0)
			return 0;
		counter_add(&q->sq->received, 1);
		uint64_t slot = (uint32_t)d;
		uint32_t len = (uint32_t)(d >> 32);
		if (fxr_unlikely(slot >= q->slots)) {
			counter_add(&q->sq->bad, 1); /* no slot to return: lost to circulation */
			return -EBADMSG;
		}
		int rc = 0;
		if (fxr_likely(len > 0 && len <= q->slot_size))
			memcpy(buf, q->slab + slot * q->slot_size, len);
		else if (len == 0)
			counter_add(&q->sq->skipped, 1);
		else
			rc = -EBADMSG;
		/* back to the sender; cannot be full: it holds at most `slots` entries */
		if (fxr_unlikely(rte_ring_sp_enqueue_elem(q->free, &slot, CHAN_ESIZE) != 0))
			return -EBADMSG;
		if (len != 0)
			return rc ? rc : (int)len;
	}
	return 0;
}

uint16_t fxr_chan_lanes(const struct fxr_chan *c)
{
	return c->lanes;
}

uint32_t fxr_chan_slot_size(const struct fxr_chan *c, enum fxr_chan_dir dir)
{
	return c->q[0][dir & 1].slot_size;
}

uint32_t fxr_chan_slots(const struct fxr_chan *c, enum fxr_chan_dir dir)
{
	return c->q[0][dir & 1].slots;
}

int fxr_chan_stats_get(const struct fxr_chan *c, unsigned lane, enum fxr_chan_dir dir,
		       struct fxr_chan_stats *st)
{
	if (lane >= c->lanes || (dir != FXR_CHAN_D2C && dir != FXR_CHAN_C2D))
		return -EINVAL;
	const struct chan_q *q = &c->q[lane][dir];
	const struct shm_queue *sq = q->sq;
	st->sent = __atomic_load_n(&sq->sent, __ATOMIC_RELAXED);
	st->received = __atomic_load_n(&sq->received, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&sq->full, __ATOMIC_RELAXED);
	st->reclaimed = __atomic_load_n(&sq->reclaimed, __ATOMIC_RELAXED);
	st->skipped = __atomic_load_n(&sq->skipped, __ATOMIC_RELAXED);
	st->bad = __atomic_load_n(&sq->bad, __ATOMIC_RELAXED);
	st->in_flight = rte_ring_count(q->used);
	return 0;
}

int fxr_chan_peer_alive(const struct fxr_chan *c)
{
	return pid_alive(__atomic_load_n(&c->hdr->dataplane_pid, __ATOMIC_ACQUIRE)) ? 1 : 0;
}

/* ---- test hooks (src/chan_shm_test.h) ---- */

int fxr_chan_test_take(struct fxr_chan *c, unsigned lane)
{
	enum fxr_chan_dir dir = tx_dir(c) == FXR_CHAN_D2C ? FXR_CHAN_C2D : FXR_CHAN_D2C;
	struct chan_q *q = &c->q[lane][dir];
	uint64_t d;
	if (rte_ring_sc_dequeue_elem(q->used, &d, CHAN_ESIZE) != 0)
		return 0;
	counter_add(&q->sq->received, 1);
	return 1;
}

int fxr_chan_test_hold(struct fxr_chan *c, unsigned lane)
{
	uint32_t slot;
	return slot_take(&c->q[lane][tx_dir(c)], &slot);
}

int fxr_chan_test_half_dequeue(struct fxr_chan *c, unsigned lane)
{
	enum fxr_chan_dir dir = tx_dir(c) == FXR_CHAN_D2C ? FXR_CHAN_C2D : FXR_CHAN_D2C;
	struct rte_ring *u = c->q[lane][dir].used;
	if (rte_ring_count(u) == 0)
		return 0;
	u->cons.head = u->cons.tail + 1;
	return 1;
}
