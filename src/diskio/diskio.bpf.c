// SPDX-License-Identifier: GPL-2.0
/*
 * kscope diskio: block requests timed from the block tracepoints alone.
 *
 *   block_io_start (6.5+)  the request is made, in the task that submits it
 *   block_rq_insert        it enters a queue (the I/O scheduler)
 *   block_rq_issue         it goes to the driver
 *   block_rq_complete      the device is done with it (or with part of it)
 *   block_rq_merge         it is merged into another request, and freed
 *
 * A request's owner (pid, and its blkcg) is taken where it starts: at
 * block_io_start, else at the first of insert and issue. The filters are
 * applied there too, so a request nobody asked for makes no entry (or,
 * without block_io_start, a "skip" entry, so that a later probe in another
 * task does not adopt it). At its final completion the request is counted
 * into its row (owner, device, op, sync), a per-CPU value userspace sums:
 * counts, bytes, and queue (insert -> issue), device (issue -> completion)
 * and total latency as log-linear histograms with their maxima.
 *
 * Cost: each map operation is the price here (a hash update costs several
 * times an empty program), so a request makes one entry and does at most
 * one lookup per probe after: the entry is made with the values of the
 * probe that makes it, the device's last sector is in .bss, and the rows
 * are per-CPU (plain adds, no atomics).
 */
#include "../engine/kscope.bpf.h"
#include "diskio.h"

const volatile __u8 by = DIO_BY_DEVICE;
const volatile __u8 want_hist;          /* --hist: the log2 histograms in us */
const volatile __u8 emit_events;        /* --events */
const volatile __u8 ndevs;              /* --dev: how many of devs[] */
const volatile __u32 devs[DIO_MAX_FILTER];

/* Set by userspace once every probe is attached (0: count nothing yet) */
volatile __u8 counting;
/* a probe is on a plain tracepoint: every probe keys requests by (dev, sector) */
volatile __u8 tp_keys;
/* block_io_start is attached: requests start there, and only there */
volatile __u8 have_start;

/*
 * Requests in flight: a preallocated hash (cheaper to fill than an LRU). An
 * entry goes at the request's final completion, or when it is merged into
 * another (block_rq_merge); full, a new request is counted as lost.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DIO_MAX_INFLIGHT);
	__type(key, struct dio_rq_key);
	__type(value, struct dio_inflight);
} inflight SEC(".maps");

/* --events: each request's owner, as its header will say; else 1 entry */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DIO_MAX_INFLIGHT);
	__type(key, struct dio_rq_key);
	__type(value, struct ks_hdr);
} owners SEC(".maps");

/* Per CPU: a completion adds without atomics; userspace sums the CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DIO_MAX_KEYS);
	__type(key, struct dio_key);
	__type(value, struct dio_stat);
} stats SEC(".maps");

/* Never written: the zero a new row starts from (too large for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dio_stat);
} stat_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DIO_MAX_ERR_KEYS);
	__type(key, struct dio_err_key);
	__type(value, __u64);
} err_stats SEC(".maps");

/* --by process: each pid's name, when its first request started; else 1 entry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DIO_MAX_KEYS);
	__type(key, __u32);
	__type(value, char[KS_COMM_LEN]);
} proc_comm SEC(".maps");

/*
 * Where the last request issued to each device ended (sector): an open
 * addressing table in .bss (no helper call on the hot path), a device in
 * the first free slot of DIO_DEV_PROBES from its hash. A device that finds
 * none (more than DIO_MAX_DEVS busy ones) is not classified.
 */
struct dio_dev_pos dev_pos[DIO_MAX_DEVS];

/* ---- the request, from its struct (BTF paths) -------------------------------- */

/* Before 5.16 (or so) a request named its disk itself */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

/* A field of the request: a plain load on tp_btf, a probe read on raw_tp */
#define RQ_READ(btf, rq, field) ((btf) ? (rq)->field : BPF_CORE_READ(rq, field))

/* The kernel's dev_t of the request's disk, as the block tracepoints give it */
static __always_inline __u32 rq_dev(struct request *rq, bool btf)
{
	struct gendisk *disk;

	if (bpf_core_field_exists(rq->q->disk))
		disk = btf ? rq->q->disk : BPF_CORE_READ(rq, q, disk);
	else
		disk = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	if (!disk)
		return 0;
	if (btf)
		return (disk->major << 20) | disk->first_minor;
	return (BPF_CORE_READ(disk, major) << 20) | BPF_CORE_READ(disk, first_minor);
}

static __always_inline __u32 req_bit(int bit)
{
	return 1u << (bit & 31);
}

/* __REQ_SYNC etc. from the kernel's enum req_flag_bits (stable since 4.10) */
#define REQ_BIT(name, dflt)								\
	req_bit(bpf_core_enum_value_exists(enum req_flag_bits, name) ?			\
		bpf_core_enum_value(enum req_flag_bits, name) : (dflt))

static __always_inline __u8 op_of(__u32 opf)
{
	switch (opf & 0xff) {		/* REQ_OP_MASK */
	case 0: return DIO_OP_READ;
	case 1: return DIO_OP_WRITE;
	case 2: return DIO_OP_FLUSH;
	case 3: case 5: return DIO_OP_DISCARD;	/* discard, secure erase */
	case 9: return DIO_OP_WRITE_ZEROES;
	default: return DIO_OP_OTHER;
	}
}

/* blk_fill_rwbs() for the BTF paths, which have the flags, not the string */
static __always_inline void rwbs_of(__u32 opf, char *r)
{
	int i = 0;

	if (opf & REQ_BIT(__REQ_PREFLUSH, 18))
		r[i++] = 'F';
	switch (opf & 0xff) {
	case 0: r[i++] = 'R'; break;
	case 1: r[i++] = 'W'; break;
	case 2: r[i++] = 'F'; break;
	case 3: r[i++] = 'D'; break;
	case 5: r[i++] = 'D'; r[i++] = 'E'; break;
	default: r[i++] = 'N'; break;
	}
	if (opf & REQ_BIT(__REQ_FUA, 17))
		r[i++] = 'F';
	if (opf & REQ_BIT(__REQ_RAHEAD, 19))
		r[i++] = 'A';
	if (opf & REQ_BIT(__REQ_SYNC, 11))
		r[i++] = 'S';
	if (opf & REQ_BIT(__REQ_META, 12))
		r[i++] = 'M';
	if (i < 10)
		r[i] = 0;
}

/* The io (v2) or blkio (v1) cgroup of the current task */
static __always_inline __u64 task_blkcg(void)
{
	struct cgroup_subsys_state *css =
		ks_task_css((struct task_struct *)bpf_get_current_task(), KS_SSID(io_cgrp_id));

	return css ? BPF_CORE_READ(css, cgroup, kn, id) : 0;
}

/* The request's blkcg: the cgroup that dirtied its data, also for writeback */
static __always_inline __u64 rq_blkcg(struct request *rq)
{
	__u64 id = 0;

	if (rq && bpf_core_field_exists(((struct bio *)0)->bi_blkg)) {
		struct bio *bio = BPF_CORE_READ(rq, bio);

		if (bio)
			id = BPF_CORE_READ(bio, bi_blkg, blkcg, css.cgroup, kn, id);
	}
	return id ?: task_blkcg();
}

/* ---- the plain tracepoints: the rwbs string --------------------------------- */

/* op and sync from rwbs ("FWS": a preflush, a write, sync) */
static __always_inline void parse_rwbs(const char *r, __u8 *op, __u8 *sync)
{
	char c = r[0];

	if (c == 'F' && (r[1] == 'W' || r[1] == 'R' || r[1] == 'D' || r[1] == 'N'))
		c = r[1];
	*op = c == 'R' ? DIO_OP_READ : c == 'W' ? DIO_OP_WRITE : c == 'D' ? DIO_OP_DISCARD :
	      c == 'F' ? DIO_OP_FLUSH : DIO_OP_OTHER;
	*sync = 0;
	for (int i = 1; i < 8; i++)
		if (r[i] == 'S')
			*sync = 1;
}

/* ---- in flight ---------------------------------------------------------------- */

static __always_inline bool dev_wanted(__u32 dev)
{
	if (!ndevs)
		return true;
	for (int i = 0; i < DIO_MAX_FILTER; i++)
		if (i < ndevs && devs[i] == dev)
			return true;
	return false;
}

static __always_inline struct dio_rq_key rq_key(struct request *rq, __u32 dev, __u64 sector)
{
	struct dio_rq_key k = {};

	if (tp_keys) {
		k.a = dev;
		k.b = sector;
	} else {
		k.a = (__u64)rq;
	}
	return k;
}

/*
 * The device's slot in dev_pos, claimed if new; NULL: the table is full
 * around it. The tag is dev with bit 32 set, so that 0 means free.
 */
static __always_inline struct dio_dev_pos *dev_slot(__u32 dev)
{
	__u32 h = (dev * 2654435761u) >> (32 - DIO_DEV_BITS);
	__u64 tag = (1ull << 32) | dev;

	for (int i = 0; i < DIO_DEV_PROBES; i++) {
		struct dio_dev_pos *p = &dev_pos[(h + i) & (DIO_MAX_DEVS - 1)];
		__u64 cur = p->tag;

		if (cur == tag)
			return p;
		if (!cur) {
			cur = __sync_val_compare_and_swap(&p->tag, 0, tag);
			if (!cur || cur == tag)
				return p;
		}
	}
	return NULL;
}

/* Entries made in inflight (and not deleted): past 3/4 of it, completions delete */
volatile __u64 entries;

/*
 * The entry of a request that is over (completed, merged away or filtered
 * out): kept for the next request at the same address (a request is one of
 * its queue's preallocated ones, reused all the time) to take in place,
 * with a lookup, instead of an update and a delete per request, the two
 * dearest map operations. Deleted where the key does not come back: on
 * (dev, sector) keys, and when the map is filling up.
 */
static __always_inline void finish(struct dio_rq_key *k, struct dio_inflight *f)
{
	if (tp_keys || entries > DIO_MAX_INFLIGHT / 4 * 3) {
		if (!bpf_map_delete_elem(&inflight, k))
			__sync_fetch_and_add(&entries, -1);
	} else {
		f->flags = DIO_F_DONE;
	}
}

/*
 * The request starts here (io_start), or may (insert, issue: if it has no
 * entry and the kernel has no block_io_start, or it never passes there: a
 * request without data, such as the flush the block layer makes for a
 * preflush). rq: NULL on a plain tracepoint. v: the entry to make, with
 * the caller's fields set; insert: called at insert. Returns the request's
 * live entry for the caller to update, NULL if there is none to update
 * (made now from v, or the request is not traced).
 */
static __always_inline struct dio_inflight *begin(struct dio_rq_key *k, __u32 dev,
						  struct request *rq, bool start, bool nodata,
						  bool btf, bool insert, struct dio_inflight *v)
{
	struct dio_inflight *f = bpf_map_lookup_elem(&inflight, k);
	long err;

	if (f && !(f->flags & DIO_F_DONE) && !start) {
		/*
		 * Live: this request's. Unless inserted again before any issue:
		 * then it was merged away unseen, and this is a new request at
		 * its address (a requeued one was issued before).
		 */
		if (!insert || !f->insert_ns || f->issue_ns)
			return f;
	} else if (!start && have_start && !nodata) {
		return NULL;	/* started before tracing, or filtered out at its start */
	}
	v->dev = dev;
	if (!dev_wanted(dev) || !ks_wanted()) {
		if (start && !f)
			return NULL;
		v->flags |= DIO_F_SKIP;	/* so that no later probe adopts it */
	} else {
		v->owner = bpf_get_current_pid_tgid() >> 32;
		/* a few pointer reads: only for what shows it */
		if (by == DIO_BY_CGROUP || emit_events)
			v->blkcg = rq ? rq_blkcg(rq) : task_blkcg();
		if (by == DIO_BY_PROCESS && !bpf_map_lookup_elem(&proc_comm, &v->owner)) {
			char comm[KS_COMM_LEN] = {};	/* the helper pads only since 6.3-ish */

			bpf_get_current_comm(comm, sizeof(comm));
			bpf_map_update_elem(&proc_comm, &v->owner, comm, BPF_ANY);
		}
		if (emit_events) {
			struct ks_hdr h;

			ks_fill_hdr_btf(&h, DIO_EV_RQ, btf);
			bpf_map_update_elem(&owners, k, &h, BPF_ANY);
		}
	}
	if (f) {
		*f = *v;	/* the address's earlier request is over: this one takes its entry */
		return NULL;
	}
	err = bpf_map_update_elem(&inflight, k, v, BPF_NOEXIST);
	if (!err)
		__sync_fetch_and_add(&entries, 1);
	else if (err != -17)	/* EEXIST: made on another CPU meanwhile (a new address) */
		ks_lost_inc(KS_LOST_MAPFULL);
	return NULL;
}

static __always_inline void on_start(struct request *rq, __u32 dev, __u64 sector, bool btf)
{
	struct dio_inflight v = {};
	struct dio_rq_key k;

	k = rq_key(rq, dev, sector);
	begin(&k, dev, rq, true, false, btf, false, &v);
}

static __always_inline void on_insert(struct request *rq, __u32 dev, __u64 sector,
				      bool nodata, bool btf)
{
	struct dio_inflight *f, v = {};
	struct dio_rq_key k;

	v.insert_ns = bpf_ktime_get_ns();
	k = rq_key(rq, dev, sector);
	f = begin(&k, dev, rq, false, nodata, btf, true, &v);
	if (f && !f->insert_ns)
		f->insert_ns = v.insert_ns;	/* a requeued one keeps its first */
}

static __always_inline void on_issue(struct request *rq, __u32 dev, __u64 sector,
				     __u32 nr_sector, __u32 bytes, bool btf)
{
	struct dio_inflight *f, v = {};
	struct dio_dev_pos *p;
	struct dio_rq_key k;

	/* every request of the device, traced or not, sets where the next would follow */
	p = dev_slot(dev);
	if (p) {
		/* the first of a device is neither */
		if (p->issued)
			v.flags = DIO_F_CLASSIFIED | (p->last == sector ? DIO_F_SEQ : 0);
		else
			p->issued = 1;
		p->last = sector + nr_sector;
	}
	v.sector = sector;
	v.left = bytes;
	v.issue_ns = bpf_ktime_get_ns();
	k = rq_key(rq, dev, sector);
	f = begin(&k, dev, rq, false, !bytes, btf, false, &v);
	if (!f || (f->flags & DIO_F_SKIP))
		return;
	f->flags = (f->flags & ~(DIO_F_SEQ | DIO_F_CLASSIFIED)) | v.flags;
	f->sector = sector;
	f->left = bytes;
	f->issue_ns = v.issue_ns;
}

/* The request was merged into another, which now carries its data: it is over */
static __always_inline void on_merge(struct request *rq, __u32 dev, __u64 sector)
{
	struct dio_rq_key k = rq_key(rq, dev, sector);
	struct dio_inflight *f = bpf_map_lookup_elem(&inflight, &k);

	if (f && !(f->flags & DIO_F_DONE))
		finish(&k, f);
	if (emit_events)
		bpf_map_delete_elem(&owners, &k);
}

/* One sample into a row's latency (the row is this CPU's: plain adds) */
static __always_inline void lat_add(struct dio_lat *l, __u32 *log2, __u64 v)
{
	__u64 s = ks_ll_slot(v);

	l->count++;
	l->total_ns += v;
	/* one copy, checked and used: 6.1's verifier lost the bound on two */
	barrier_var(s);
	if (s < KS_LL_SLOTS)
		l->hist[s]++;
	if (v > l->max_ns)
		l->max_ns = v;
	if (want_hist) {
		s = ks_log2_slot(v / 1000);
		barrier_var(s);
		log2[s & (KS_LOG2_SLOTS - 1)]++;
	}
}

static __always_inline struct dio_stat *stat_of(struct dio_key *k)
{
	return ks_lookup_or_init(&stats, k, &stat_zero);
}

static __always_inline void count_errno(struct dio_key *k, __u32 err)
{
	struct dio_err_key ek = { .k = *k, .err = err };
	__u64 *n = bpf_map_lookup_elem(&err_stats, &ek), one = 1;

	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (bpf_map_update_elem(&err_stats, &ek, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&err_stats, &ek);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			ks_lost_inc(KS_LOST_MAPFULL);
	}
}

static __always_inline void emit(struct dio_rq_key *k, struct dio_inflight *f, __u64 now,
				 __u8 op, __u8 sync, const char *rwbs)
{
	struct dio_event *e = ks_reserve(sizeof(*e));
	struct ks_hdr *h;

	if (!e)
		return;
	h = bpf_map_lookup_elem(&owners, k);
	if (h)
		e->hdr = *h;
	else
		__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
	e->hdr.type = DIO_EV_RQ;
	e->hdr.ts_ns = now;
	e->sector = f->sector;
	e->insert_ns = f->insert_ns;
	e->issue_ns = f->issue_ns;
	e->blkcg = f->blkcg;
	e->dev = f->dev;
	e->bytes = f->done;
	e->err = f->err;
	e->op = op;
	e->sync = sync;
	__builtin_memcpy(e->rwbs, rwbs, sizeof(e->rwbs));
	ks_submit(e);
}

/*
 * The on_*() handlers run only while counting: each program checks first.
 * A completion of nr_bytes; err: 0 or as dio_err_key.err. On the plain
 * tracepoints a partial one moves the entry to where the rest starts.
 */
static __always_inline void on_complete(struct dio_rq_key *k, __u8 op, __u8 sync,
					__u32 nr_bytes, __u32 err, const char *rwbs)
{
	struct dio_inflight *f;
	struct dio_key key = {};
	struct dio_stat *st;
	__u64 now, start;

	f = bpf_map_lookup_elem(&inflight, k);
	if (!f || (f->flags & DIO_F_DONE))
		return;
	if (f->flags & DIO_F_SKIP) {
		if (!f->left || nr_bytes >= f->left)
			finish(k, f);
		return;
	}
	if (err && !f->err)
		f->err = err;
	f->done += nr_bytes;
	if (f->left && nr_bytes < f->left) {
		f->left -= nr_bytes;
		if (tp_keys) {
			struct dio_rq_key next = { k->a, k->b + (nr_bytes >> 9) };
			struct dio_inflight v = *f;

			/* (dev, sector) keys: entries are always deleted, never reused */
			if (!bpf_map_update_elem(&inflight, &next, &v, BPF_ANY))
				__sync_fetch_and_add(&entries, 1);
			if (!bpf_map_delete_elem(&inflight, k))
				__sync_fetch_and_add(&entries, -1);
			if (emit_events) {
				struct ks_hdr *h = bpf_map_lookup_elem(&owners, k), hc;

				if (h) {
					hc = *h;
					bpf_map_update_elem(&owners, &next, &hc, BPF_ANY);
					bpf_map_delete_elem(&owners, k);
				}
			}
		}
		return;
	}
	now = bpf_ktime_get_ns();
	key.owner = by == DIO_BY_PROCESS ? f->owner : by == DIO_BY_CGROUP ? f->blkcg : 0;
	key.dev = f->dev;
	key.op = op;
	key.sync = sync;
	st = stat_of(&key);
	if (st) {
		st->requests++;
		st->bytes += f->done;
		if (f->flags & DIO_F_CLASSIFIED) {
			if (f->flags & DIO_F_SEQ)
				st->sequential++;
			else
				st->random++;
		}
		if (f->insert_ns && f->issue_ns >= f->insert_ns)
			lat_add(&st->lat[DIO_QUEUE], st->log2[DIO_QUEUE], f->issue_ns - f->insert_ns);
		if (f->issue_ns && now >= f->issue_ns)
			lat_add(&st->lat[DIO_DEVICE], st->log2[DIO_DEVICE], now - f->issue_ns);
		start = f->insert_ns ?: f->issue_ns;
		if (start && now >= start)
			lat_add(&st->lat[DIO_TOTAL], st->log2[DIO_TOTAL], now - start);
		__u32 s = ks_log2_slot(f->done / 1024);

		barrier_var(s);
		st->sizes[s & (KS_LOG2_SLOTS - 1)]++;
		/* after the request: userspace reads errnos first, so errors <= requests */
		if (f->err)
			count_errno(&key, f->err);
	}
	if (emit_events) {
		emit(k, f, now, op, sync, rwbs);
		bpf_map_delete_elem(&owners, k);
	}
	finish(k, f);
}

/* blk_status_t -> errno: blk_errors[] in block/blk-core.c, whose first 14 never moved */
static __always_inline __u32 status_errno(__u8 s)
{
	switch (s) {
	case 0: return 0;
	case 1: return 95;	/* NOTSUPP: EOPNOTSUPP */
	case 2: return 110;	/* TIMEOUT: ETIMEDOUT */
	case 3: return 28;	/* NOSPC: ENOSPC */
	case 4: return 67;	/* TRANSPORT: ENOLINK */
	case 5: return 121;	/* TARGET: EREMOTEIO */
	case 6: return 52;	/* NEXUS, RESV_CONFLICT: EBADE */
	case 7: return 61;	/* MEDIUM: ENODATA */
	case 8: return 84;	/* PROTECTION: EILSEQ */
	case 9: return 12;	/* RESOURCE: ENOMEM */
	case 10: return 5;	/* IOERR: EIO */
	case 11: return 78;	/* DM_REQUEUE: EREMCHG */
	case 12: return 11;	/* AGAIN: EAGAIN */
	case 13: return 16;	/* DEV_RESOURCE: EBUSY */
	default: return DIO_ERR_STATUS + s;
	}
}

/* ---- BTF paths: tp_btf and raw_tp -------------------------------------------- */

static __always_inline void btf_start(struct request *rq, bool btf)
{
	__u32 dev;

	if (!counting)
		return;
	dev = rq_dev(rq, btf);
	on_start(rq, dev, RQ_READ(btf, rq, __sector), btf);
}

static __always_inline void btf_insert(struct request *rq, bool btf)
{
	if (!counting)
		return;
	on_insert(rq, rq_dev(rq, btf), RQ_READ(btf, rq, __sector), !RQ_READ(btf, rq, __data_len), btf);
}

static __always_inline void btf_issue(struct request *rq, bool btf)
{
	__u32 bytes;

	if (!counting)
		return;
	bytes = RQ_READ(btf, rq, __data_len);
	on_issue(rq, rq_dev(rq, btf), RQ_READ(btf, rq, __sector), bytes >> 9, bytes, btf);
}

static __always_inline void btf_complete(struct request *rq, __u8 status, __u32 nr_bytes,
					 bool btf)
{
	__u32 dev, opf;
	struct dio_rq_key k;
	char rwbs[10] = {};

	if (!counting)
		return;
	/* the entry has the device: the key needs it only on (dev, sector) keys */
	dev = tp_keys ? rq_dev(rq, btf) : 0;
	opf = RQ_READ(btf, rq, cmd_flags);
	k = rq_key(rq, dev, RQ_READ(btf, rq, __sector));
	if (emit_events)
		rwbs_of(opf, rwbs);
	on_complete(&k, op_of(opf), !!(opf & REQ_BIT(__REQ_SYNC, 11)), nr_bytes,
		    status_errno(status), rwbs);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(dio_start_btf, struct request *rq)
{
	btf_start(rq, true);
	return 0;
}

SEC("raw_tp/block_io_start")
int BPF_PROG(dio_start_raw, struct request *rq)
{
	btf_start(rq, false);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(dio_insert_btf, struct request *rq)
{
	btf_insert(rq, true);
	return 0;
}

SEC("raw_tp/block_rq_insert")
int BPF_PROG(dio_insert_raw, struct request *rq)
{
	btf_insert(rq, false);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(dio_issue_btf, struct request *rq)
{
	btf_issue(rq, true);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(dio_issue_raw, struct request *rq)
{
	btf_issue(rq, false);
	return 0;
}

static __always_inline void btf_merge(struct request *rq, bool btf)
{
	if (counting)
		on_merge(rq, tp_keys ? rq_dev(rq, btf) : 0, RQ_READ(btf, rq, __sector));
}

SEC("tp_btf/block_rq_merge")
int BPF_PROG(dio_merge_btf, struct request *rq)
{
	btf_merge(rq, true);
	return 0;
}

SEC("raw_tp/block_rq_merge")
int BPF_PROG(dio_merge_raw, struct request *rq)
{
	btf_merge(rq, false);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(dio_complete_btf, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	btf_complete(rq, error, nr_bytes, true);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(dio_complete_raw, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	btf_complete(rq, error, nr_bytes, false);
	return 0;
}

/* ---- plain tracepoints: no request pointer, the record's fields --------------- */

SEC("tracepoint/block/block_io_start")
int dio_start_tp(struct trace_event_raw_block_rq *ctx)
{
	if (counting)
		on_start(NULL, ctx->dev, ctx->sector, false);
	return 0;
}

SEC("tracepoint/block/block_rq_insert")
int dio_insert_tp(struct trace_event_raw_block_rq *ctx)
{
	if (counting)
		on_insert(NULL, ctx->dev, ctx->sector, !ctx->bytes, false);
	return 0;
}

SEC("tracepoint/block/block_rq_issue")
int dio_issue_tp(struct trace_event_raw_block_rq *ctx)
{
	if (counting)
		on_issue(NULL, ctx->dev, ctx->sector, ctx->nr_sector, ctx->bytes, false);
	return 0;
}

SEC("tracepoint/block/block_rq_merge")
int dio_merge_tp(struct trace_event_raw_block_rq *ctx)
{
	if (counting)
		on_merge(NULL, ctx->dev, ctx->sector);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int dio_complete_tp(struct trace_event_raw_block_rq_completion *ctx)
{
	struct dio_rq_key k;
	char rwbs[10] = {};
	__u8 op, sync;
	int err;

	if (!counting)
		return 0;
	k = rq_key(NULL, ctx->dev, ctx->sector);
	/* its offset moves (ioprio came before it in 6.x): not a plain ctx load */
	bpf_probe_read_kernel(rwbs, 8, ctx->rwbs);
	parse_rwbs(rwbs, &op, &sync);
	err = ctx->error;
	on_complete(&k, op, sync, ctx->nr_sector << 9, err < 0 ? -err : 0, rwbs);
	return 0;
}
