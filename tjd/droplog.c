/* The drop log's words: who sent what to whom, and why it was dropped; see droplog.h. */
#include "config.h"

#include "tjd/droplog.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/prefix.h"

const char *droplog_kind_name(enum droplog_kind kind)
{
	switch (kind) {
	case DROPLOG_NO_HOST:
		return "no-host";
	case DROPLOG_PUBLISHED:
		return "published";
	case DROPLOG_LAN_EGRESS:
		return "lan-egress";
	case DROPLOG_ISOLATION:
		break;
	}
	return "isolation";
}

/* The packet's address as a host prefix. */
static void droplog_prefix(int family, const uint8_t *bytes, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	out->length = family == AF_INET ? 32 : 128;
	memcpy(&out->addr, bytes, family == AF_INET ? 4 : 16);
}

/* The endpoint of `net` with this address, or NULL. */
static const struct inv_endpoint *droplog_endpoint(const struct inv_network *net,
						   const struct prefix *address)
{
	for (size_t e = 0; net != NULL && e < net->endpoint_count; e++) {
		const struct inv_endpoint *endpoint = &net->endpoints[e];
		const struct prefix *own =
		    address->family == AF_INET ? &endpoint->ipv4 : &endpoint->ipv6;

		if (own->family == address->family &&
		    memcmp(&own->addr, &address->addr, address->family == AF_INET ? 4 : 16) == 0)
			return endpoint;
	}
	return NULL;
}

/* The network whose subnets hold the address, or NULL. */
static const struct inv_network *droplog_network_of(const struct inventory *inv,
						    const struct prefix *address)
{
	for (size_t n = 0; n < inv->count; n++)
		for (size_t s = 0; s < inv->networks[n].subnet_count; s++)
			if (prefix_contains(&inv->networks[n].subnets[s], address))
				return &inv->networks[n];
	return NULL;
}

/* Fills one end: the container with that address on the network, if any. */
static void droplog_party(const struct inv_network *net, const struct prefix *address,
			  const uint8_t *bytes, struct droplog_party *out)
{
	const struct inv_endpoint *endpoint = droplog_endpoint(net, address);

	if (inet_ntop(address->family, bytes, out->address, sizeof(out->address)) == NULL)
		snprintf(out->address, sizeof(out->address), "?");
	if (endpoint != NULL) {
		snprintf(out->name, sizeof(out->name), "%s", endpoint->name);
		out->allowed = endpoint->allowed;
	}
}

/* The container of `inv` with this address, or NULL. */
static const struct inv_container *droplog_container(const struct inventory *inv,
						     const struct prefix *address)
{
	for (size_t c = 0; c < inv->container_count; c++)
		for (size_t a = 0; a < inv->containers[c].address_count; a++) {
			struct prefix own = inv->containers[c].addresses[a];
			prefix_host(&own);
			if (prefix_equal(&own, address))
				return &inv->containers[c];
		}
	return NULL;
}

/* One end of a connection to a published port: a container by its address, or just the address. */
static void droplog_anyone(const struct inventory *inv, const struct prefix *address,
			   const uint8_t *bytes, struct droplog_party *out)
{
	const struct inv_container *container = droplog_container(inv, address);

	if (inet_ntop(address->family, bytes, out->address, sizeof(out->address)) == NULL)
		snprintf(out->address, sizeof(out->address), "?");
	if (container != NULL)
		snprintf(out->name, sizeof(out->name), "%s", container->name);
}

/* A connection to a published port the [published] policy refused. */
static int droplog_published(const struct inventory *inv, const struct pktlog_event *packet,
			     struct droplog_event *out)
{
	struct prefix src, dst;

	out->kind = DROPLOG_PUBLISHED;
	snprintf(out->network, sizeof(out->network), "published");
	droplog_prefix(packet->family, packet->src, &src);
	droplog_prefix(packet->family, packet->dst, &dst);
	droplog_anyone(inv, &src, packet->src, &out->src);
	droplog_anyone(inv, &dst, packet->dst, &out->dst);
	/* on input the connection is to docker-proxy, on the host */
	if (out->dst.name[0] == '\0')
		snprintf(out->dst.name, sizeof(out->dst.name), "host");
	out->protocol = packet->protocol;
	out->has_port = packet->has_ports;
	out->port = packet->dport;
	snprintf(out->reason, sizeof(out->reason),
		 "no [published] rule lets %s in, and the policy is deny", out->src.address);
	return 0;
}

int droplog_resolve(const struct inventory *inv, const struct pktlog_event *packet,
		    struct droplog_event *out)
{
	static const struct {
		const char *suffix;
		enum droplog_kind kind;
	} kinds[] = {{" isolate", DROPLOG_ISOLATION},
		     {" no-host", DROPLOG_NO_HOST},
		     {" lan-egress", DROPLOG_LAN_EGRESS}};
	size_t length = strlen(packet->prefix), name_length = 0;
	const struct inv_network *net = NULL;
	struct prefix src, dst;
	const struct inv_endpoint *sender;
	bool matched = false;

	memset(out, 0, sizeof(*out));
	if (strncmp(packet->prefix, "tjd ", 4) != 0 ||
	    (packet->family != AF_INET && packet->family != AF_INET6))
		return -1;
	if (strcmp(packet->prefix, "tjd published policy") == 0)
		return droplog_published(inv, packet, out);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && !matched; k++) {
		size_t suffix = strlen(kinds[k].suffix);

		if (length > 4 + suffix &&
		    strcmp(packet->prefix + length - suffix, kinds[k].suffix) == 0) {
			out->kind = kinds[k].kind;
			name_length = length - 4 - suffix;
			matched = true;
		}
	}
	if (!matched)
		return -1;
	droplog_prefix(packet->family, packet->src, &src);
	droplog_prefix(packet->family, packet->dst, &dst);
	/* by the name the prefix carries, unless cut short: then by the sender's subnet */
	for (size_t n = 0; n < inv->count && net == NULL; n++)
		if (strlen(inv->networks[n].name) == name_length &&
		    strncmp(inv->networks[n].name, packet->prefix + 4, name_length) == 0)
			net = &inv->networks[n];
	if (net == NULL)
		net = droplog_network_of(inv, &src);
	if (net != NULL)
		snprintf(out->network, sizeof(out->network), "%s", net->name);
	else
		snprintf(out->network, sizeof(out->network), "%.*s",
			 (int)(name_length < INV_NAME_MAX ? name_length : INV_NAME_MAX),
			 packet->prefix + 4);
	droplog_party(net, &src, packet->src, &out->src);
	droplog_party(net, &dst, packet->dst, &out->dst);
	if (out->kind == DROPLOG_NO_HOST)
		snprintf(out->dst.name, sizeof(out->dst.name), "host");
	out->protocol = packet->protocol;
	out->has_port = packet->has_ports;
	out->port = packet->dport;
	sender = droplog_endpoint(net, &src);
	if (out->kind == DROPLOG_NO_HOST)
		snprintf(out->reason, sizeof(out->reason), "%s is closed to the host",
			 out->network);
	else if (out->kind == DROPLOG_LAN_EGRESS)
		snprintf(out->reason, sizeof(out->reason),
			 "%s's containers may not reach private ranges outside Docker",
			 out->network);
	else if (sender == NULL)
		snprintf(out->reason, sizeof(out->reason), "%s is no container tjd knows on %s",
			 out->src.address, out->network);
	else if (!sender->allowed)
		snprintf(out->reason, sizeof(out->reason), "%s is not allow-listed", sender->name);
	else if (sender->bridge_port[0] == '\0')
		snprintf(out->reason, sizeof(out->reason),
			 "%s's allowance is withheld (its bridge port is unknown)", sender->name);
	else
		snprintf(out->reason, sizeof(out->reason),
			 "%s is allow-listed, but this came from another port", sender->name);
	return 0;
}

void droplog_format(const struct droplog_event *event, char *buf, size_t size)
{
	const char *name = pktlog_protocol_name(event->protocol);
	char protocol[16], port[8] = "";

	if (name != NULL)
		snprintf(protocol, sizeof(protocol), "%s", name);
	else
		snprintf(protocol, sizeof(protocol), "proto %u", event->protocol);
	if (event->has_port)
		snprintf(port, sizeof(port), "/%u", event->port);
	snprintf(buf, size, "%s %s (%s) -> %s (%s) %s%s blocked: %s", event->network,
		 event->src.name[0] != '\0' ? event->src.name : "?", event->src.address,
		 event->dst.name[0] != '\0' ? event->dst.name : "?", event->dst.address, protocol,
		 port, event->reason);
}
