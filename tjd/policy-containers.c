/* Containers' own firewalls, one target per namespace; see policy.h. */
#include "config.h"

#include "tjd/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/rulespec.h"
#include "tjd/policy-container.h"

/* Most labels of one container handed to the parser. */
#define POLICY_CONTAINERS_LABELS_MAX 512

/* Appends one container's addresses to *out; 0, or -1 on OOM. */
static int policy_containers_add(const struct inv_container *container, struct prefix **out,
				 size_t *count)
{
	struct prefix *grown;

	if (container->address_count == 0)
		return 0;
	grown = reallocarray(*out, *count + container->address_count, sizeof(**out));
	if (grown == NULL)
		return -1;
	memcpy(grown + *count, container->addresses,
	       container->address_count * sizeof(*container->addresses));
	*out = grown;
	*count += container->address_count;
	return 0;
}

/* Whether a container carries label KEY (value NULL) or KEY=VALUE. */
static bool policy_containers_labelled(const struct inv_container *container, const char *key,
				       size_t key_len, const char *value)
{
	for (size_t i = 0; i < container->label_count; i++) {
		const struct inv_label *label = &container->labels[i];

		if (strlen(label->key) == key_len && memcmp(label->key, key, key_len) == 0)
			return value == NULL || strcmp(label->value, value) == 0;
	}
	return false;
}

/* policy_container_resolve_fn over the inventory's containers. */
static int policy_containers_resolve(void *arg, const struct rulespec_address *side,
				     struct prefix **out, size_t *count, char *err, size_t errlen)
{
	const struct inventory *inv = arg;

	*out = NULL;
	*count = 0;
	if (side->kind == RULESPEC_ADDRESS_SET) {
		error_format(err, errlen, "no address set @%s", side->name);
		return -1;
	}
	if (side->kind == RULESPEC_ADDRESS_CONTAINER) {
		for (size_t i = 0; i < inv->container_count; i++)
			if (strcmp(inv->containers[i].name, side->name) == 0 &&
			    policy_containers_add(&inv->containers[i], out, count) < 0)
				goto oom;
		return 0;
	}
	/* a filter term: label=KEY or label=KEY=VALUE, judged as docker ps does */
	if (strncmp(side->name, "label=", 6) != 0) {
		error_format(err, errlen,
			     "%s: only label= filters name containers in rules (or container NAME)",
			     side->name);
		return -1;
	}
	{
		const char *key = side->name + 6, *equals = strchr(key, '=');
		size_t key_len = equals ? (size_t)(equals - key) : strlen(key);

		for (size_t i = 0; i < inv->container_count; i++)
			if (policy_containers_labelled(&inv->containers[i], key, key_len,
						       equals ? equals + 1 : NULL) &&
			    policy_containers_add(&inv->containers[i], out, count) < 0)
				goto oom;
	}
	return 0;
oom:
	free(*out);
	*out = NULL;
	*count = 0;
	error_format(err, errlen, "out of memory");
	return -1;
}

/* Parses a container's labels; 1 policy, 0 none, -1 error (problem set). */
static int policy_containers_parse(const struct inv_container *container,
				   struct rulespec_policy *policy, char *problem, size_t size)
{
	struct rulespec_label labels[POLICY_CONTAINERS_LABELS_MAX];
	struct rulespec_error err;
	char text[RULESPEC_ERROR_TEXT_MAX];
	size_t count = 0;
	int rc;

	if (container->label_count > POLICY_CONTAINERS_LABELS_MAX) {
		snprintf(problem, size, "more than %d labels", POLICY_CONTAINERS_LABELS_MAX);
		return -1;
	}
	for (size_t i = 0; i < container->label_count; i++) {
		labels[count].key = container->labels[i].key;
		labels[count++].value = container->labels[i].value;
	}
	rc = rulespec_parse_labels(labels, count, policy, &err);
	if (rc < 0) {
		rulespec_error_format(&err, text, sizeof(text));
		error_format(problem, size, "%s", text);
	}
	return rc;
}

/* The container whose namespace `container` uses: itself, or container:X's X. */
static const struct inv_container *policy_containers_owner(const struct inventory *inv,
							   const struct inv_container *container)
{
	const char *mode = container->network_mode;

	if (strncmp(mode, "container:", 10) != 0)
		return container;
	for (size_t i = 0; i < inv->container_count; i++)
		if (strcmp(inv->containers[i].id, mode + 10) == 0 ||
		    strcmp(inv->containers[i].name, mode + 10) == 0)
			return &inv->containers[i];
	return NULL;
}

/* The index of the plan's target for a namespace owner; plan->count when none yet. */
static size_t policy_containers_find(const struct policy_plan *plan, const char *id)
{
	size_t t;

	for (t = 0; t < plan->count; t++)
		if (strcmp(plan->targets[t].container_id, id) == 0)
			break;
	return t;
}

/* Compiles one container's policy into target (fail closed on any problem). */
static int policy_containers_one(const struct inventory *inv, const struct inv_container *container,
				 struct policy_target *target)
{
	struct rulespec_policy policy;
	char err[300];
	int rc;

	memset(&policy, 0, sizeof(policy));
	rc = policy_containers_parse(container, &policy, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (rc > 0 && policy_container_compile(&policy, policy_containers_resolve, (void *)inv,
					       &target->rules, NULL, err, sizeof(err)) == 0) {
		rulespec_policy_free(&policy);
		return 1;
	}
	rulespec_policy_free(&policy);
	error_format(target->problem, sizeof(target->problem), "container %s: %s; denying all",
		     container->name, err);
	return policy_container_deny_all(&target->rules) < 0 ? -1 : 1;
}

/*
 * Puts a RULE_LOG twin (new connections only) before each of tjd's own
 * closing drops of a container's rules (its default deny, fail closed), so
 * that the drop log names what a container's policy blocks.  0, or -1 on OOM.
 */
static int policy_containers_sample_drops(struct ruleset *rules)
{
	struct ruleset sampled;

	ruleset_init(&sampled);
	for (size_t i = 0; i < rules->count; i++) {
		const struct rule *rule = &rules->rules[i];
		struct rule *copy;

		if ((rule->verdict == RULE_DROP || rule->verdict == RULE_REJECT) &&
		    strncmp(rule->comment, "tjd container ", 14) == 0) {
			copy = ruleset_add(&sampled);
			if (copy == NULL)
				goto oom;
			*copy = *rule;
			copy->verdict = RULE_LOG;
			copy->ctstate = RULE_CT_NEW;
		}
		copy = ruleset_add(&sampled);
		if (copy == NULL)
			goto oom;
		*copy = *rule;
	}
	ruleset_free(rules);
	*rules = sampled;
	return 0;
oom:
	ruleset_free(&sampled);
	return -1;
}

int policy_compile_containers(const struct conf *conf, const struct inventory *inv,
			      struct policy_plan *out, char *err, size_t errlen)
{
	if (!conf->container_rules)
		return 0;
	for (size_t i = 0; i < inv->container_count; i++) {
		const struct inv_container *container = &inv->containers[i];
		const struct inv_container *owner;
		struct policy_target *target, *existing;
		size_t before;
		int rc;

		if (!container->policy)
			continue;
		owner = policy_containers_owner(inv, container);
		before = owner ? policy_containers_find(out, owner->id) : out->count;
		target = policy_plan_add(out);
		if (target == NULL)
			goto oom;
		rc = policy_containers_one(inv, container, target);
		if (rc < 0)
			goto oom;
		if (rc == 0) { /* labels without an enabled policy */
			ruleset_free(&target->rules);
			out->count--;
			continue;
		}
		snprintf(target->container_id, sizeof(target->container_id), "%s",
			 owner ? owner->id : container->id);
		snprintf(target->container_name, sizeof(target->container_name), "%s",
			 container->name);
		if (strcmp(container->network_mode, "host") == 0) {
			error_format(
			    target->problem, sizeof(target->problem),
			    "container %s: network_mode host: refused, the host's firewall "
			    "is not rewritten from a label",
			    container->name);
			ruleset_reset(&target->rules);
			continue;
		}
		if (owner != NULL && owner->netns[0] == '\0' && !owner->running) {
			/* created, not started: no namespace yet, nothing to report */
			ruleset_free(&target->rules);
			out->count--;
			continue;
		}
		if (owner == NULL || owner->netns[0] == '\0') {
			error_format(target->problem, sizeof(target->problem),
				     "container %s: its network namespace is not known",
				     container->name);
			ruleset_reset(&target->rules);
			continue;
		}
		snprintf(target->netns, sizeof(target->netns), "%s", owner->netns);
		existing = before < out->count - 1 ? &out->targets[before] : NULL;
		if (existing != NULL) {
			/* two policies on one namespace: both fail closed, whichever came first */
			error_format(
			    existing->problem, sizeof(existing->problem),
			    "containers %s and %s share a network namespace and both carry "
			    "a policy; denying all",
			    existing->container_name, container->name);
			if (policy_container_deny_all(&existing->rules) < 0)
				goto oom;
			ruleset_free(&target->rules);
			out->count--;
		}
	}
	for (size_t t = 0; conf->drop_log && t < out->count; t++)
		if (out->targets[t].container_id[0] != '\0' &&
		    policy_containers_sample_drops(&out->targets[t].rules) < 0)
			goto oom;
	return 0;
oom:
	error_format(err, errlen, "out of memory compiling container rules");
	return -1;
}
