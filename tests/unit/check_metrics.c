/*
 * metrics_render: the Prometheus text format as tjd writes it (families,
 * escaping, a cumulative histogram) and the atomic metrics file.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tjd/metrics.h"

/* Fails unless text holds line (a whole line). */
static void has_line(const char *text, const char *line)
{
	size_t length = strlen(line);

	for (const char *at = text; (at = strstr(at, line)) != NULL; at++)
		if ((at == text || at[-1] == '\n') && at[length] == '\n')
			return;
	ck_abort_msg("no line \"%s\" (%zu bytes of metrics)", line, strlen(text));
}

/* A snapshot with two networks, one an overlay with peers. */
static void snapshot(struct metrics_snapshot *s, struct metrics_network networks[2],
		     struct metrics_histogram *histogram)
{
	memset(s, 0, sizeof(*s));
	memset(networks, 0, 2 * sizeof(*networks));
	memset(histogram, 0, sizeof(*histogram));
	networks[0] = (struct metrics_network){
	    .name = "web",
	    .present = true,
	    .allowed = 1,
	    .rules = 18,
	    .has_drops = true,
	    .dropped_packets = {40, 2, 0},
	    .dropped_bytes = {2400, 120, 0},
	};
	networks[1] = (struct metrics_network){
	    .name = "we\"ird\\net",
	    .present = true,
	    .overlay = true,
	    .has_peers = true,
	    .peers_updated = 1000,
	};
	s->version = "1.2.3";
	s->backend = "nftables";
	s->now = 1030;
	s->started = 900;
	s->ready = true;
	s->reconciles = 7;
	s->applies = 3;
	s->reconcile_seconds = histogram;
	s->networks = networks;
	s->network_count = 2;
}

START_TEST(test_families_and_values)
{
	struct metrics_snapshot s;
	struct metrics_network networks[2];
	struct metrics_histogram histogram;
	char *text;

	snapshot(&s, networks, &histogram);
	text = metrics_render(&s);
	ck_assert_ptr_nonnull(text);
	has_line(text, "# TYPE tjd_build_info gauge");
	has_line(text, "tjd_build_info{version=\"1.2.3\",backend=\"nftables\"} 1");
	has_line(text, "tjd_ready 1");
	has_line(text, "tjd_docker_connected 0");
	has_line(text, "# TYPE tjd_reconciles_total counter");
	has_line(text, "tjd_reconciles_total 7");
	has_line(text, "tjd_applies_total 3");
	has_line(text, "tjd_start_time_seconds 900");
	has_line(text, "tjd_network_allowed_containers{network=\"web\"} 1");
	has_line(text, "tjd_network_rules{network=\"web\"} 18");
	has_line(text, "tjd_network_dropped_packets_total{network=\"web\",kind=\"isolation\"} 40");
	has_line(text, "tjd_network_dropped_packets_total{network=\"web\",kind=\"no-host\"} 2");
	has_line(text, "tjd_network_dropped_packets_total{network=\"web\",kind=\"host\"} 0");
	has_line(text, "tjd_network_dropped_bytes_total{network=\"web\",kind=\"isolation\"} 2400");
	/* a label value's quote and backslash escaped */
	has_line(text, "tjd_overlay_peers_age_seconds{network=\"we\\\"ird\\\\net\"} 30");
	/* no [published] section, no sets: no such families */
	ck_assert_ptr_null(strstr(text, "tjd_published_"));
	ck_assert_ptr_null(strstr(text, "tjd_set_members"));
	/* the overlay keeps no drop counters here: no sample rather than a false 0 */
	ck_assert_ptr_null(strstr(text, "tjd_network_dropped_packets_total{network=\"we\\\""));
	/* every family has HELP and TYPE before its samples, each exactly once */
	for (const char *at = text; (at = strstr(at, "# TYPE ")) != NULL; at++) {
		char name[128], help[160];

		ck_assert_int_eq(sscanf(at, "# TYPE %127s", name), 1);
		snprintf(help, sizeof(help), "# HELP %s ", name);
		ck_assert_ptr_nonnull(strstr(text, help));
		ck_assert_ptr_eq(strstr(text, help), strstr(strstr(text, help), help));
	}
	free(text);
}
END_TEST

START_TEST(test_published_and_sets)
{
	static const struct metrics_set sets[] = {{"office", 1, 1}, {"n\"as", 3, 0}};
	struct metrics_snapshot s;
	struct metrics_network networks[2];
	struct metrics_histogram histogram;
	char *text;

	snapshot(&s, networks, &histogram);
	s.sets = sets;
	s.set_count = 2;
	s.has_published_drops = true;
	s.published_packets = 12;
	s.published_bytes = 720;
	text = metrics_render(&s);
	ck_assert_ptr_nonnull(text);
	has_line(text, "# TYPE tjd_published_dropped_packets_total counter");
	has_line(text, "tjd_published_dropped_packets_total 12");
	has_line(text, "tjd_published_dropped_bytes_total 720");
	has_line(text, "# TYPE tjd_set_members gauge");
	has_line(text, "tjd_set_members{set=\"office\",family=\"ipv4\"} 1");
	has_line(text, "tjd_set_members{set=\"office\",family=\"ipv6\"} 1");
	has_line(text, "tjd_set_members{set=\"n\\\"as\",family=\"ipv4\"} 3");
	/* one family header for all the sets */
	ck_assert_ptr_null(
	    strstr(strstr(text, "# TYPE tjd_set_members") + 1, "# TYPE tjd_set_members"));
	free(text);
}
END_TEST

START_TEST(test_histogram_is_cumulative)
{
	struct metrics_snapshot s;
	struct metrics_network networks[2];
	struct metrics_histogram histogram;
	char *text;

	snapshot(&s, networks, &histogram);
	metrics_histogram_observe(&histogram, 0.0005);
	metrics_histogram_observe(&histogram, 0.003);
	metrics_histogram_observe(&histogram, 0.003);
	metrics_histogram_observe(&histogram, 30);
	text = metrics_render(&s);
	ck_assert_ptr_nonnull(text);
	has_line(text, "# TYPE tjd_reconcile_duration_seconds histogram");
	has_line(text, "tjd_reconcile_duration_seconds_bucket{le=\"0.001\"} 1");
	has_line(text, "tjd_reconcile_duration_seconds_bucket{le=\"0.0025\"} 1");
	has_line(text, "tjd_reconcile_duration_seconds_bucket{le=\"0.005\"} 3");
	has_line(text, "tjd_reconcile_duration_seconds_bucket{le=\"10\"} 3");
	has_line(text, "tjd_reconcile_duration_seconds_bucket{le=\"+Inf\"} 4");
	has_line(text, "tjd_reconcile_duration_seconds_count 4");
	{
		const char *sum = strstr(text, "\ntjd_reconcile_duration_seconds_sum ");
		double value = 0;

		ck_assert_ptr_nonnull(sum);
		ck_assert_int_eq(sscanf(sum, "\ntjd_reconcile_duration_seconds_sum %lf", &value),
				 1);
		ck_assert_double_eq_tol(value, 30.0065, 1e-9);
	}
	free(text);
}
END_TEST

START_TEST(test_file_written_atomically)
{
	char dir[] = "/tmp/check-metrics.XXXXXX", path[64], err[256], buf[96];
	struct stat st;
	FILE *file;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tjd.prom", dir);
	ck_assert_int_eq(metrics_write_file(path, "tjd_ready 1\n", err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	file = fopen(path, "r");
	ck_assert_ptr_nonnull(file);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), file));
	fclose(file);
	ck_assert_str_eq(buf, "tjd_ready 1\n");
	/* a symbolic link in the temporary file's place is not followed */
	snprintf(buf, sizeof(buf), "%s.tmp", path);
	ck_assert_int_eq(symlink("/etc/passwd", buf), 0);
	ck_assert_int_eq(metrics_write_file(path, "x\n", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ".tmp"));
	unlink(buf);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *suite = suite_create("metrics");
	TCase *tcase = tcase_create("render");

	tcase_add_test(tcase, test_families_and_values);
	tcase_add_test(tcase, test_histogram_is_cumulative);
	tcase_add_test(tcase, test_published_and_sets);
	tcase_add_test(tcase, test_file_written_atomically);
	suite_add_tcase(suite, tcase);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
