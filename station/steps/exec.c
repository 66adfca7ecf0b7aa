/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: run an external program (openocd, stm32flash, esptool, dfu-util),
 * with arguments, working directory and a timeout; exit code and output go
 * to the log.
 *   exec:
 *     cmd: [stm32flash, -b, "115200", -w, "${prod_image}", "${port}"]
 *     cwd: /tmp
 *     exit: 0                # expected exit code (default 0)
 *     expect: 'Wrote .* OK'  # regex the output must match (optional)
 *     capture: {cal.offset: '^offset: (.+)$'}      # values from the output
 *     measure: {name: vref, pattern: '^vref=([-0-9.]+)$', low: 1.19, high: 1.21, unit: V}
 * measure judges one number of the output against limits, as the measure
 * step judges a console answer (the same keys, name/unit/low/high/limit/
 * expect), so a script's result is a measurement in the log.
 * No shell: arguments are passed as written, after ${...} expansion.
 *
 * The program runs in a process group of its own (a ^C on the station's
 * terminal is the station's to handle, not the tool's), with no signal
 * blocked or ignored whatever the station blocks.  On a timeout or a stop
 * the whole group gets SIGTERM, then SIGKILL after EXEC_GRACE_MS; the
 * fixture guardian knows the group, and ends it should the station die.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "station/steps/steps.h"

#define EXEC_MAX_ARGS 64
#define EXEC_OUT_MAX (64 * 1024) /* kept for the log; the rest is counted */
#define EXEC_GRACE_MS 2000	/* from SIGTERM to SIGKILL */

struct exec_cfg {
	char *argv[EXEC_MAX_ARGS + 1];
	int argc;
	char *cwd;
	char *expect;
	int exit_code;
	struct captures cap;
	char *pattern;		/* measure: one (group) around the value */
	struct judge j;
	bool measures;
};

static const char *const exec_keys[] = { "cmd", "cwd", "exit", "expect", "capture", "measure",
					 NULL };
static const char *const exec_measure_keys[] = { "name", "pattern", "unit", "low", "high",
						 "limit", "expect", NULL };

static void exec_free(void *p)
{
	struct exec_cfg *c = p;

	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->cwd);
	free(c->expect);
	captures_free(&c->cap);
	free(c->pattern);
	judge_free(&c->j);
	free(c);
}

static int exec_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct exec_cfg *c = calloc(1, sizeof(*c));
	const struct ynode *cmd, *m;
	double code = 0;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "exec: expects a mapping with cmd: [program, args...]");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, exec_keys, "exec");
	cmd = ynode_get(n, "cmd");
	if (!cmd || cmd->type != YN_SEQ || cmd->n == 0) {
		lint_err(l, cmd ? cmd : n, "exec: 'cmd' must be a non-empty list: [program, arg, ...]");
	} else {
		for (int i = 0; i < cmd->n; i++) {
			if (cmd->items[i]->type != YN_SCALAR) {
				lint_err(l, cmd->items[i], "exec: each argument must be text");
				continue;
			}
			if (c->argc == EXEC_MAX_ARGS) {
				lint_err(l, cmd->items[i], "exec: more than %d arguments", EXEC_MAX_ARGS);
				break;
			}
			lint_vars(l, cmd->items[i], cmd->items[i]->str);
			c->argv[c->argc++] = strdup(cmd->items[i]->str);
		}
	}
	if (lint_str(l, n, "cwd", false, &c->cwd) && c->cwd)
		lint_vars(l, ynode_get(n, "cwd"), c->cwd);
	if (lint_str(l, n, "expect", false, &c->expect) && c->expect)
		lint_regex(l, ynode_get(n, "expect"), c->expect, NULL);
	if (lint_num(l, n, "exit", false, &code) && (code < 0 || code > 255))
		lint_err(l, ynode_get(n, "exit"), "exit must be 0 to 255");
	else
		c->exit_code = (int)code; /* in range: the cast is defined */
	m = ynode_get(n, "measure");
	if (m && m->type != YN_MAP) {
		lint_err(l, m, "exec: 'measure' is a mapping with pattern and limits");
	} else if (m) {
		int groups = 0;

		lint_keys(l, m, exec_measure_keys, "exec measure");
		if (lint_str(l, m, "pattern", true, &c->pattern) && c->pattern &&
		    lint_regex(l, ynode_get(m, "pattern"), c->pattern, &groups) && groups != 1)
			lint_err(l, ynode_get(m, "pattern"), "exec measure: the pattern needs exactly "
				 "one (group), around the value, not %d", groups);
		judge_parse(&c->j, s, m, l, "exec measure");
		c->measures = true;
	}
	return captures_parse(&c->cap, ynode_get(n, "capture"), l);
}

static void child(char **argv, const char *cwd, int out)
{
	sigset_t none;

	/* the station blocks SIGINT/SIGTERM/SIGHUP and ignores SIGPIPE: a
	 * program gets the defaults (an ignored signal stays ignored across
	 * exec, a blocked one blocked) */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(out, 1);
	dup2(out, 2);
	close(out);
	setpgid(0, 0);
	if (cwd && chdir(cwd) < 0) {
		dprintf(2, "cannot enter %s: %s\n", cwd, strerror(errno));
		_exit(126);
	}
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Collect output until EOF or the deadline; returns bytes kept. */
static size_t collect(struct run_ctx *rc, int fd, char *out, size_t cap, bool *timed_out)
{
	size_t len = 0;
	char sink[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = rc_remaining_ms(rc);
		ssize_t n;

		if (left == 0 || rc_stopped(rc)) {
			*timed_out = true;
			break;
		}
		if (poll(&p, 1, left > 200 ? 200 : left) <= 0)
			continue;
		if (len + 1 < cap)
			n = read(fd, out + len, cap - 1 - len);
		else
			n = read(fd, sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}

/* What is left in the pipe, without waiting, after out[len]. */
static void drain(int fd, char *out, size_t len, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len + 1 < cap && poll(&p, 1, 0) > 0) {
		ssize_t n = read(fd, out + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
}

/* The whole process group (a tool may have started helpers): SIGTERM, up
 * to EXEC_GRACE_MS for the program to end, then SIGKILL.  Reaps it. */
static void end_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	for (int t = 0; t < EXEC_GRACE_MS; t += 20) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* capture and measure: what the program printed, judged. */
static int judge_output(const struct exec_cfg *c, struct run_ctx *rc, struct step_result *r,
			const char *prog, const char *out)
{
	char val[256];
	int ret = captures_apply(&c->cap, rc, r, out, "output");

	if (ret < 0 || !c->measures)
		return ret;
	if (rx_match(c->pattern, out, val, sizeof(val)) < 0) {
		sr_set(r, DB_FAIL, "%s: '%s' not found in the output of %s", c->j.name, c->pattern,
		       prog);
		return ST_ERR_FAIL;
	}
	return judge_value(&c->j, rc, r, val);
}

static void exec_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct exec_cfg *c = s->cfg;
	char *argv[EXEC_MAX_ARGS + 1] = { 0 }, *cwd = NULL, *out = NULL, code[16];
	int pipefd[2] = { -1, -1 }, status = 0;
	bool timed_out = false;
	/* the time it has: its own timeout, or what is left of a group's */
	double budget_s = (double)(rc->deadline_us - now_us()) / 1e6;
	size_t len;
	pid_t pid;

	for (int i = 0; i < c->argc; i++)
		if (!(argv[i] = rc_expand(rc, r, c->argv[i])))
			goto out;
	if (c->cwd && !(cwd = rc_expand(rc, r, c->cwd)))
		goto out;
	out = malloc(EXEC_OUT_MAX);
	if (!out || pipe2(pipefd, O_CLOEXEC) < 0) {
		sr_set(r, DB_ERROR, "cannot start %s: %s", argv[0], strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		sr_set(r, DB_ERROR, "cannot start %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, cwd, pipefd[1]);
	setpgid(pid, pid);	/* (the child does too: whichever runs first) */
	fx_guardian_watch(pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	len = collect(rc, pipefd[0], out, EXEC_OUT_MAX, &timed_out);
	if (timed_out)
		end_group(pid, &status);
	else
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	kill(-pid, SIGKILL);	/* helpers it left behind in its group */
	fx_guardian_forget(pid);
	if (timed_out)		/* what it said on its way out */
		drain(pipefd[0], out, len, EXEC_OUT_MAX);
	sr_kv(r, "output", out);
	snprintf(code, sizeof(code), "%d", WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
	sr_kv(r, "exit_code", code);
	if (timed_out) {
		sr_set(r, rc_stopped(rc) ? DB_ABORTED : DB_FAIL, "%s did not finish within %.3gs: killed",
		       argv[0], budget_s < s->timeout_s ? budget_s : s->timeout_s);
	} else if (!WIFEXITED(status)) {
		sr_set(r, DB_FAIL, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	} else if (WEXITSTATUS(status) != c->exit_code) {
		sr_set(r, DB_FAIL, "%s exited with %d (expected %d): %.200s", argv[0],
		       WEXITSTATUS(status), c->exit_code, out);
	} else if (c->expect && rx_match(c->expect, out, NULL, 0) < 0) {
		sr_set(r, DB_FAIL, "output of %s does not match '%s'", argv[0], c->expect);
	} else {
		judge_output(c, rc, r, argv[0], out);
	}
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	for (int i = 0; i < c->argc; i++)
		free(argv[i]);
	free(cwd);
	free(out);
}

static void exec_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct exec_cfg *c = s->cfg;
	struct step_result r = { 0 };

	/* a quoted list: an argument holding a space is one argument */
	fprintf(out, "      run [");
	for (int i = 0; i < c->argc; i++) {
		char *a = rc_expand(rc, &r, c->argv[i]);

		fprintf(out, "%s\"", i ? ", " : "");
		for (const char *p = a ? a : c->argv[i]; *p; p++) {
			unsigned char ch = (unsigned char)*p;

			if (ch == '"' || ch == '\\')
				fprintf(out, "\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f)
				fprintf(out, "\\x%02x", ch);
			else
				fputc(ch, out);
		}
		fputc('"', out);
		free(a);
	}
	fprintf(out, "] (expect exit %d)\n", c->exit_code);
	captures_plan(&c->cap, out);
	if (c->measures) {
		fprintf(out, "      read '%s' as %s", c->pattern, c->j.name);
		judge_plan(&c->j, rc, out);
	}
	if (r.outcome != DB_PASS) {
		fprintf(out, "      PROBLEM: %s\n", r.reason);
		rc->plan_problems++;
	}
	sr_reset(&r);
}

const struct step_kind step_exec = {
	.name = "exec",
	.summary = "run an external program (openocd, stm32flash, esptool, dfu-util) with a timeout",
	.default_timeout_s = 120,
	.parse = exec_parse,
	.run = exec_run,
	.plan = exec_plan,
	.free_cfg = exec_free,
};
