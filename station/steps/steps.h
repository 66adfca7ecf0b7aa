/* SPDX-License-Identifier: Apache-2.0 */
/* The step kinds, one file each (step_*.c), listed in steps.c. */
#ifndef ST_STATION_STEPS_H
#define ST_STATION_STEPS_H

#include "station/engine.h"
#include "station/sequence.h"

extern const struct step_kind step_lines, step_flash, step_console, step_measure,
	step_identity, step_register, step_prompt, step_delay, step_exec, step_group,
	step_include, step_enroll, step_foreach, step_repeat, step_scpi;

/* A value judged against limits (judge.c): the keys name, unit, low, high,
 * limit, expect, shared by measure, scpi and exec. */
struct judge {
	char *name;
	char *unit;
	char *expect;
	double low, high;	/* NAN when absent */
};
void judge_parse(struct judge *j, const struct step *s, const struct ynode *n, struct lint *l,
		 const char *what);
/* Record val as a measurement of r (fixture limits applied), set ${name}. */
int judge_value(const struct judge *j, struct run_ctx *rc, struct step_result *r,
		const char *val);
/* --dry-run: ", limits [low, high] unit" or ", expect 'text'", and a newline. */
void judge_plan(const struct judge *j, struct run_ctx *rc, FILE *out);
void judge_free(struct judge *j);

/* Values captured from a step's text into variables (capture.c). */
struct capture {
	char *var;
	char *re;	/* one (group): the value */
};
struct captures {
	struct capture *v;
	int n;
};
int captures_parse(struct captures *c, const struct ynode *cap, struct lint *l);
/* Each regex must match text (what names it in a failure): ${var} set and
 * logged as a step value; ST_ERR_FAIL (r says why) when one does not. */
int captures_apply(const struct captures *c, struct run_ctx *rc, struct step_result *r,
		   const char *text, const char *what);
void captures_plan(const struct captures *c, FILE *out);
void captures_free(struct captures *c);

/* Before a run starts: a prompt into ${serial} in the flow, when the serial
 * is not given, is asked now (prompt.c), so that the unit is known before
 * a line moves.  ST_OK (asked, or nothing to ask); otherwise why[] says why
 * there is no serial (ST_ERR_ABORTED: stopped). */
int prompt_serial_first(struct run_ctx *rc, char *why, size_t cap);
/* The flow's first prompt into ${serial}: true when there is one, and its
 * pattern in *pattern (NULL: any answer).  station serve checks a serial
 * given with a start request against it before the run is queued. */
bool prompt_serial_pattern(const struct sequence *seq, const char **pattern);

/* Log an identity (identity_log.c): the identities and identity_trust
 * rows, a step value per check and the policy's fields (revocation-source,
 * anchor, ...), as the identity and enroll steps both do. */
void sr_identity(struct step_result *r, const struct se_identity *id);
/* The trust store's path and the SHA-256 of each anchor in it, logged for
 * the run (table run_anchors, once per anchor, and the station log). */
void rc_log_anchors(struct run_ctx *rc, const char *trust);

/* Sleep, waking early when the run is stopped. */
void rc_sleep(struct run_ctx *rc, double seconds);

/* Send cmd on the console within the step's time; on failure r says why. */
int rc_console(struct run_ctx *rc, struct step_result *r, const char *cmd, char *resp,
	       size_t cap);
/* The station's CMS settings for this step: its deadline, its stop flag
 * (register.c). */
void rc_cms(struct run_ctx *rc, struct cms_config *cc);
/* What every CMS step logs: requests made, and cms.insecure when set. */
void rc_cms_record(struct step_result *r, const struct cms_config *cc, int requests);
/* POSIX ERE (REG_NEWLINE) match; group 1 copied to val when given. */
int rx_match(const char *re, const char *text, char *val, size_t cap);

#endif
