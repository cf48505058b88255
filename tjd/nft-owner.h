/*
 * Tables only tjd may change: nf_tables' table owner and persist flags.
 *
 * A table created with NFT_TABLE_F_OWNER (Linux 5.12) belongs to the
 * netlink socket that created it: the kernel refuses every change and the
 * deletion from any other socket, root's `nft` included (EPERM).  With
 * NFT_TABLE_F_PERSIST as well (Linux 6.9) the table outlives that socket:
 * when it closes (tjd stops, or crashes) the table stays, rules and all, as
 * an orphan (PERSIST without OWNER) that anyone may delete, and that any
 * socket may adopt by asking for OWNER|PERSIST again, a flags update that
 * leaves the contents alone.  A table that exists without PERSIST cannot be
 * adopted, and PERSIST cannot be dropped from one that has it.
 *
 * tjd writes its tables through libnftables, and nft 1.0.6 can ask for
 * the owner flag but not for persist.  The owner is a socket, and a
 * libnftables context keeps one private socket for its whole life, so the
 * claim must be sent on that very socket: nft_owner_find picks it out of
 * the process's descriptors (the one NETLINK_NETFILTER socket that appeared
 * across nft_ctx_new, bound to the port the context was seen committing
 * from), and nft_owner_send sends one batch on it and reads the kernel's
 * answers itself, while libnftables is not reading.  Anything else waiting
 * on the socket is read and dropped before returning, so libnftables never
 * sees a reply it did not ask for.
 *
 * Every reply is checked before it counts: a whole datagram from the
 * kernel (tjd/netlink.h), an NLMSG_ERROR addressed to our port, for one of
 * our sequence numbers, with an errno the kernel can send.  The readers of
 * replies are pure functions over a datagram, for tests and the fuzz target.
 *
 * Reading a table's flags and owner (nft_owner_query) needs no ownership:
 * it uses a short-lived socket of its own in the calling thread's network
 * namespace, as every function here does.
 */
#ifndef TJD_NFT_OWNER_H
#define TJD_NFT_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Not in the uapi headers of older distributions (Debian 12 has OWNER only). */
#define NFT_OWNER_FLAG_OWNER 0x2u
#define NFT_OWNER_FLAG_PERSIST 0x4u
#define NFT_OWNER_FLAGS (NFT_OWNER_FLAG_OWNER | NFT_OWNER_FLAG_PERSIST)

/*
 * The flags a claim asks for: NFT_OWNER_FLAGS.  Tests add a flag no kernel
 * knows, which any kernel refuses exactly as one before 6.9 refuses
 * PERSIST (EOPNOTSUPP), to follow the path tjd takes there.
 */
extern uint32_t nft_owner_claim_flags;

/* Most messages one batch carries, and so most replies one read waits for. */
#define NFT_OWNER_BATCH_MAX 8
/* How long the kernel's answers are waited for (they are queued as the batch is sent). */
#define NFT_OWNER_TIMEOUT_MS 1000

/* The NETLINK_NETFILTER sockets a process had open at one moment. */
struct nft_owner_sockets {
	ino_t *inodes;
	size_t count;
};

/* libnftables' socket, found: where claims are sent. */
struct nft_owner {
	int fd;	       /* libnftables' own: never closed here */
	uint32_t port; /* its netlink port, the owner the kernel records */
	uint32_t seq;  /* the next sequence number of ours */
};

/* One message of a batch. */
enum nft_owner_op {
	NFT_OWNER_CLAIM,  /* NEWTABLE OWNER|PERSIST: create, or adopt an orphan */
	NFT_OWNER_DELETE, /* DELTABLE */
};

struct nft_owner_request {
	enum nft_owner_op op;
	uint8_t family; /* NFPROTO_INET, NFPROTO_BRIDGE, ... */
	const char *table;
	const char *comment; /* CLAIM: the table's comment when it is created; NULL: none */
};

/* A table as the kernel describes it. */
struct nft_owner_table {
	bool exists;
	uint32_t flags; /* NFT_TABLE_F_* */
	bool has_owner; /* flags has OWNER; owner is valid */
	uint32_t owner; /* the owning socket's netlink port */
};

/* What the replies to one batch said so far (nft_owner_replies_read). */
struct nft_owner_replies {
	uint32_t port;	    /* replies are addressed to this port */
	uint32_t first_seq; /* the batch's begin message; its requests follow it */
	uint32_t count;	    /* requests, each asking for an acknowledgement */
	uint32_t answered;  /* bit i: request i was answered */
	int error;	    /* the first error reported (a positive errno), or 0 */
	bool refused;	    /* the batch as a whole was refused (error on begin or end) */
};

/* Lists the NETLINK_NETFILTER sockets open in this process; 0, or -1 with err set. */
int nft_owner_sockets_list(struct nft_owner_sockets *sockets, char *err, size_t errlen);
void nft_owner_sockets_free(struct nft_owner_sockets *sockets);

/*
 * Finds the socket that appeared since `before` was listed: exactly one
 * new NETLINK_NETFILTER socket, bound to netlink port `port` (the one the
 * context was seen committing from; 0 = unknown, which is refused).  0 with
 * *owner filled and the socket made close-on-exec (a program tjd ran must
 * not keep the tables owned after tjd), or -1 with err saying why it cannot
 * be told unambiguously.
 */
int nft_owner_find(struct nft_owner *owner, const struct nft_owner_sockets *before, uint32_t port,
		   char *err, size_t errlen);

/*
 * Sends the requests as one transaction on the owner's socket and reads
 * the kernel's answers.  0 when every request was acknowledged; -1 with
 * *kernel_error the errno the kernel reported (EPERM: another socket owns
 * a table; EOPNOTSUPP: the kernel cannot do it, or the table exists
 * without persist), or 0 when the exchange itself failed (err says how).
 * Nothing changed unless it returns 0.
 */
int nft_owner_send(struct nft_owner *owner, const struct nft_owner_request *requests, size_t count,
		   int *kernel_error, char *err, size_t errlen);

/* Reads a table's flags and owner on a socket of its own; 0, or -1 with err set. */
int nft_owner_query(uint8_t family, const char *table, struct nft_owner_table *result, char *err,
		    size_t errlen);

/*
 * The process holding the netfilter socket bound to `port` in the calling
 * thread's namespace, from /proc (bounded); its name into comm.  -1 when it
 * cannot be found (another pid namespace, or gone).
 */
pid_t nft_owner_pid(uint32_t port, char *comm, size_t commlen);

/* Starts reading the replies to a batch of `count` requests sent from `port`. */
void nft_owner_replies_init(struct nft_owner_replies *replies, uint32_t port, uint32_t first_seq,
			    uint32_t count);
/* Takes in one datagram received from the kernel; what is not a valid reply of ours is ignored. */
void nft_owner_replies_read(struct nft_owner_replies *replies, const void *datagram, size_t length);
/* Tells whether nothing more is to come: every request answered, or the batch refused. */
bool nft_owner_replies_done(const struct nft_owner_replies *replies);

/*
 * Takes in one datagram answering GETTABLE `table` of `family` sent from
 * `port` with `seq`: 1 when it carried the answer (the table into *result,
 * or *error set: ENOENT means there is no such table), 0 when it was no
 * valid answer of ours.
 */
int nft_owner_table_read(const void *datagram, size_t length, uint32_t port, uint32_t seq,
			 uint8_t family, const char *table, struct nft_owner_table *result,
			 int *error);

#endif
