# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Stations forwarding to a central PostgreSQL, for the central-store tests
# (source after lib.sh and pg.sh; pg_start first):
#   central_setup               the central schema (station central migrate), a
#                               writer role "line" (password in a passfile:
#                               $CENTRAL_URL, $CENTRAL_PASS) and a reader "qe"
#                               ($CENTRAL_READER_URL); a diag image and
#                               $CENTRAL/seq.yaml (tests/e2e/central-seq.yaml:
#                               the 3V3 rail measured against [3.2, 3.4] V)
#   central_bind NAME           the writer bound to station NAME (central_stations)
#   central_station NAME [dut-sim args...]
#                               a station dir $CENTRAL/NAME with station.yaml
#                               (station NAME, log NAME.db, central: the writer,
#                               bound to NAME in central_stations)
#                               and its board (sim NAME, fixture fx.yaml)
#   central_run NAME SERIAL [station run args...]
#                               one unit on station NAME; exit status in $RUN_RC,
#                               output in $CENTRAL/NAME/run.out, .err
#   local_ids NAME              the ended runs of NAME's log, one id a line, sorted
#   central_drop_v14            the store taken back to central schema 13 (no line
#                               values of the capability cells)
#   central_drop_v13            the store taken back to central schema 12 (no month
#                               cells of the measurement sums, runs_outcome)
#   central_drop_v12            the store taken back to central schema 11 (its day cells
#                               not keyed by outcome nor line, built again from the rows)
#   central_drop_v11            the store taken back to central schema 10 (no index
#                               of the measurements by name and run)
#   central_drop_v10            the store taken back to central schema 9 (no bindings of
#                               logins to stations, TEMPORARY granted to PUBLIC)
#   central_drop_v4             the store taken back to central schema 3 (no summaries,
#                               neither version 4's, 5's, 7's nor 8's)
#   central_runs_sql NAME PREFIX SID LINE SPEC
#                               runs of SPEC's lines, from Monday 2026-01-05 (day 0)
#                               on, SERIAL OPERATION STATION FIXTURE DAY HH:MM OUTCOME
#                               (LINE "line": then OPERATOR WORK-ORDER PART-NUMBER
#                               REVISION, '-' NULL, '~' ''; else operator ann), then
#                               steps NAME:OUTCOME[:VALUE] (a value: the step's
#                               measurement, vout [4.9, 5.1] V, or leak (at most 5
#                               Pa)): ids PREFIX..., steps from SID on; the SQL for
#                               the log in $CENTRAL/NAME-log.sql, for the store (and
#                               its summaries) in $CENTRAL/NAME-pg.sql
#   central_line_store          central_setup, station s1's run (U0) forwarded and merged
#                               into CENTRAL_LOG, then tests/e2e/central-line.runs into
#                               both (t_central_line, t_central_linegrp), whose filters
#                               are central_line_filters
#   central_load NAME DB        central_runs_sql NAME's runs into the store and into DB
#                               (a merged log: station s2 added, its summaries rebuilt)
#   central_cap_same A B        two --capability outputs agree, figure by figure
#   central_capsame ARGS...     --capability ARGS on the cells and --from-rows agree
#   central_json_same DB ARGS...  report --db DB and --central (the reader) agree on every
#                               figure (JSON, central_report_same)
#   central_report_same A B     two JSON reports (station report -f json) agree, figure
#                               by figure (CENTRAL_ARGS set: their filters aside)
#   central_sums                the summaries, one line a cell, measurement cell or
#                               capability cell
central_setup() {
	CENTRAL=$(st_tmpdir)
	"$BINDIR/station" central migrate --url "$PG_ADMIN" >"$CENTRAL/migrate.out" ||
		fail "central migrate: $(cat "$CENTRAL/migrate.out")"
	pg_sql "CREATE ROLE line LOGIN PASSWORD 'w-$$-secret' IN ROLE station_writer" >/dev/null
	pg_sql "CREATE ROLE qe LOGIN PASSWORD 'r-$$-secret' IN ROLE station_reader" >/dev/null
	CENTRAL_URL=$(pg_url line "w-$$-secret")
	CENTRAL_PASS=$PG_DIR/line.pass
	CENTRAL_READER_URL=$(pg_url qe "r-$$-secret")
	"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 8192 -o "$CENTRAL/diag.bin" >/dev/null
	cp "$ST_TOP/tests/e2e/central-seq.yaml" "$CENTRAL/seq.yaml"
}

# central_bind NAME: the writer login "line" bound to station NAME, as an
# admin adds a station (docs/central.md, Set-up 3)
central_bind() {
	pg_sql "INSERT INTO central_stations (login, station) VALUES ('line', '$1')
		ON CONFLICT DO NOTHING" >/dev/null
}

central_station() {
	local name=$1
	shift
	mkdir -p "$CENTRAL/$name"
	central_bind "$name"
	sim_start "$name" --fast --image "$CENTRAL/diag.bin" "$@"
	sim_fixture "$name" "$CENTRAL/$name/fx.yaml"
	cat >"$CENTRAL/$name/station.yaml" <<YAML
station: $name
log: $name.db
sequence: $CENTRAL/seq.yaml
central:
  url: "$CENTRAL_URL"
  passfile: $CENTRAL_PASS
  timeout: ${CENTRAL_TIMEOUT:-10s}
  backoff: 100ms
fixtures: [fx.yaml]
YAML
}

central_run() {
	local name=$1 serial=$2
	shift 2
	RUN_RC=0
	"$BINDIR/station" run -c "$CENTRAL/$name/station.yaml" --once --serial "$serial" "$@" \
		>"$CENTRAL/$name/run.out" 2>"$CENTRAL/$name/run.err" || RUN_RC=$?
}

local_ids() {
	sql "$CENTRAL/$1/$1.db" "SELECT id FROM runs WHERE outcome <> 'running' ORDER BY id"
}

# central_merge OUT NAME...: the named stations' logs merged into one SQLite
# file OUT, as if they had shared one log: the first copied, the others'
# rows added with their local ids (rows, steps ...) moved past the first's;
# the summaries are not merged but built again from the merged rows
# (station db rebuild: hour and day cells, units, measurement and
# capability keys)
central_merge() {
	local out=$1 first=$2 s t cols sel off=0
	shift 2
	cp "$CENTRAL/$first/$first.db" "$out"
	for s in "$@"; do
		off=$((off + 1000000))
		for t in stations fixtures runs run_files steps measurements images identities \
			cms_registrations step_values events run_anchors identity_trust suspects; do
			cols=$(sqlite3 "$out" "SELECT group_concat(name, ', ') FROM pragma_table_info('$t')")
			sel=$(sqlite3 "$out" "SELECT group_concat(CASE WHEN name IN ('id', 'step_id',
				'identity_id') AND '$t' NOT IN ('runs', 'stations') THEN name || ' + $off'
				ELSE name END, ', ') FROM pragma_table_info('$t')")
			sqlite3 "$out" "ATTACH '$CENTRAL/$s/$s.db' AS src;
				INSERT OR IGNORE INTO $t ($cols) SELECT $sel FROM src.$t" ||
				fail "merging $s's $t"
		done
	done
	# rows put in by SQL get no summaries: every summary rebuilt from the
	# merged rows (report --group-by day reads the hour cells)
	"$BINDIR/station" db rebuild --db "$out" >/dev/null || fail "rebuilding $out's summaries"
}

# central_same LOG ARGS...: `station ARGS` on the SQLite log LOG and on the
# central store (the reader login of central_setup) exit alike and print the
# same bytes (an HTML chart's "generated" time aside; --capability the same
# figures, central_cap_same), something unless it
# failed; the log's output stays in $CENTRAL/log.out; counts in CENTRAL_SAME_N
central_same() {
	local log=$1 a=$CENTRAL/log.out b=$CENTRAL/central.out rca=0 rcb=0
	shift
	"$BINDIR/station" "$@" --db "$log" >"$a" 2>"$CENTRAL/log.err" || rca=$?
	"$BINDIR/station" "$@" --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" \
		>"$b" 2>"$CENTRAL/central.err" || rcb=$?
	assert_eq "$rcb" "$rca" "exit status of $*: $(cat "$CENTRAL/central.err")"
	sed -i -E 's/generated [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/generated (time)/' "$a" "$b"
	# (--capability: the store combines its cells, figure by figure)
	cmp -s "$a" "$b" || { [[ " $* " == *" --capability "* ]] && central_cap_same "$a" "$b"; } ||
		fail "$* differs: $(diff "$a" "$b" | head -20)"
	[ "$rca" != 0 ] || [ -s "$a" ] || fail "$*: nothing printed"
	CENTRAL_SAME_N=$((${CENTRAL_SAME_N:-0} + 1))
}

# central_report_same A B: two JSON reports, a log's and the store's, agree
# figure by figure (floats to 1e-12); the differences printed
central_report_same() {
	python3 - "$1" "$2" <<'PY'
import json, math, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
import os
for d in (a, b):
    d.pop("log", None); d.pop("generated", None)
    if os.environ.get("CENTRAL_ARGS"):
        d.pop("filters", None)	# the same runs, by other words
# The central store's summaries keep a tail's count, not its shape: where
# they show an outermost bin (open-ended or not), the log's tail bins add up
# to it (docs/database.md, station report's histogram).
def fold(h, o):
    if h["tail_low"] and not o["tail_low"]:
        h["counts"] = [sum(t["count"] for t in h["tail_low"])] + h["counts"]
        h["lo"] -= h["width"]
        h["tail_low"], h["open_low"] = [], o["open_low"]
    if h["tail_high"] and not o["tail_high"]:
        h["counts"] = h["counts"] + [sum(t["count"] for t in h["tail_high"])]
        h["tail_high"], h["open_high"] = [], o["open_high"]
for ma, mb in zip(a.get("measurements", []), b.get("measurements", [])):
    fold(ma["histogram"], mb["histogram"])
    fold(mb["histogram"], ma["histogram"])
def eq(x, y, path):
    if isinstance(x, float) or isinstance(y, float):
        ok = x is not None and y is not None and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)
    elif isinstance(x, dict) and isinstance(y, dict):
        ok = x.keys() == y.keys() and all(eq(x[k], y[k], path + "." + k) for k in x)
        return ok or print("differ at", path, x.keys() ^ y.keys()) or False
    elif isinstance(x, list) and isinstance(y, list):
        ok = len(x) == len(y) and all(eq(u, v, "%s[%d]" % (path, i)) for i, (u, v) in enumerate(zip(x, y)))
        return ok or print("differ at", path, len(x), len(y)) or False
    else:
        ok = x == y
    return ok or print("differ at", path, x, y) or False
sys.exit(0 if eq(a, b, "") else 1)
PY
}

central_capsame() {	# ARGS...: report --capability on the store's cells and on its rows agree,
	# figure by figure (the reader's login; no value either way: both exit 1)
	local rc=0 rr=0 cen=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
	"$BINDIR/station" report "${cen[@]}" --capability -f json "$@" -o "$CENTRAL/cells.json" \
		2>"$CENTRAL/cells.err" || rc=$?
	"$BINDIR/station" report "${cen[@]}" --capability --from-rows -f json "$@" \
		-o "$CENTRAL/rows.json" 2>"$CENTRAL/rows.err" || rr=$?
	assert_eq "$rr" "$rc" "--capability $*: the cells' exit status and the rows'"
	if [ "$rc" = 1 ]; then	# no value in the runs selected, either way
		grep -q "no measurement with values in the runs selected" "$CENTRAL/cells.err" ||
			fail "report --capability $*: $(cat "$CENTRAL/cells.err")"
		return
	fi
	[ "$rc" = 0 ] || fail "report --capability $*: $(cat "$CENTRAL/cells.err")"
	central_cap_same "$CENTRAL/cells.json" "$CENTRAL/rows.json" ||
		fail "--capability $*: the cells and the rows differ"
}

# central_cap_same A B: two outputs of report --capability (-f json, csv or
# text) give the same figures: text and every count exactly, the reals to
# 1e-12 (the store combines its cells on the server, in another order than
# the report adds up a log's: the last of 15 digits may differ)
central_cap_same() {
	python3 - "$1" "$2" <<'PY'
import csv, json, math, sys
def load(p):
    t = open(p, newline="").read()
    try:
        return json.loads(t)
    except ValueError:
        return list(csv.reader(t.splitlines())) if "," in t.splitlines()[0] else t
def num(x):
    try:
        return float(x) if isinstance(x, str) and x.strip() != "" else x
    except ValueError:
        return x
def eq(x, y, path):
    x, y = num(x), num(y)
    if isinstance(x, float) or isinstance(y, float):
        ok = isinstance(x, (int, float)) and isinstance(y, (int, float)) and \
            math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)
    elif isinstance(x, dict) and isinstance(y, dict):
        ok = x.keys() == y.keys() and all(eq(x[k], y[k], path + "." + k) for k in x)
    elif isinstance(x, list) and isinstance(y, list):
        ok = len(x) == len(y) and all(eq(u, v, "%s[%d]" % (path, i)) for i, (u, v) in enumerate(zip(x, y)))
    else:
        ok = x == y
    return ok or print("differ at", path or "/", repr(x)[:200], repr(y)[:200]) or False
sys.exit(0 if eq(load(sys.argv[1]), load(sys.argv[2]), "") else 1)
PY
}

central_load() {
	pg_sql "$(cat "$CENTRAL/$1-pg.sql")" >/dev/null || fail "the runs into the store"
	sqlite3 "$2" "INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s2', 0, 0)" ||
		fail "s2 into the log's stations"
	sqlite3 "$2" <"$CENTRAL/$1-log.sql" || fail "the runs into the log"
	"$BINDIR/station" db rebuild --db "$2" >/dev/null || fail "rebuilding the merged log's summaries"
}

# the filters t_central_line and t_central_linegrp hold to the log: each
# outcome and line value alone, '' apart from none, and with the others
central_line_filters=("--outcome pass" "--outcome fail" "--outcome error" "--outcome aborted"
	"--operator ann" "--operator bob" "--operator cid" "--operator=" "--work-order WO1"
	"--work-order WO2" "--work-order=" "--part-number PN1" "--part-number PN2" "--revision A"
	"--revision B" "--revision=" "--outcome fail --operator ann" "--outcome pass --work-order WO1"
	"--operator ann --fixture fa" "--operator bob --station s2" "--work-order WO1 --sequence ict"
	"--part-number PN1 --revision B --station s2" "--outcome pass --sequence final@1.0"
	"--outcome fail --station s1 --fixture fb" "--operator ann --work-order WO1 --part-number PN1 --revision A")

central_line_store() {
	central_setup
	central_station s1
	central_run s1 U0
	CENTRAL_LOG=$CENTRAL/merged.db
	central_merge "$CENTRAL_LOG" s1
	central_runs_sql line c 9200000 line "$(grep -v '^#' "$(dirname "${BASH_SOURCE[0]}")/central-line.runs")"
	central_load line "$CENTRAL_LOG"
}

central_json_same() {
	local db=$1
	shift
	"$BINDIR/station" report --db "$db" -f json "$@" -o "$CENTRAL/same-log.json" ||
		fail "report --db $*"
	"$BINDIR/station" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json \
		"$@" -o "$CENTRAL/same-central.json" || fail "report --central $*"
	central_report_same "$CENTRAL/same-log.json" "$CENTRAL/same-central.json" ||
		fail "the log and the store differ: $*"
}

central_runs_sql() {
	python3 - "$CENTRAL" "$@" <<'PY'
import sys
out, name, prefix, sid, line, runs = sys.argv[1:7]
sid, line = int(sid), line == "line"
day0 = 1767571200
lsql, psql = [], []
def start(w):
    h, mi = w[5].split(":")
    return (day0 + int(w[4]) * 86400 + int(h) * 3600 + int(mi) * 60) * 1000000
def val(s):
    return "NULL" if s == "-" else "''" if s == "~" else "'%s'" % s
# in time order: the log's measurement keys take the first value written
# (the lowest id), the store's the first in time, as their reference
for n, w in enumerate(sorted((l.split() for l in runs.split("\n") if l.strip()), key=start)):
    serial, op, sta, fx, day, hm, outc = w[:7]
    t = start(w) + n
    rid = prefix + "%031d" % (n + 1)
    ln, steps = (w[7:11], w[11:]) if line else (["ann", "-", "-", "-"], w[7:])
    v = "('%s', %s, '%s', '%s', %s, '%s', '1.0', %d, %d, '%s')" % (
        rid, val(serial), sta, fx, ", ".join(val(x) for x in ln), op, t, t + 1000, outc)
    ins = ("INSERT INTO runs (id, unit_serial, station, fixture, operator, work_order, part_number,"
           " revision, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES %s;" % v)
    lsql.append(ins)
    psql.append(ins)
    for i, s in enumerate(steps):
        sid += 1
        p = s.split(":")
        lsql.append("INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (%d, '%s', %d, '%s', '%s');"
                    % (sid, rid, i, p[0], p[1]))
        psql.append("INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('%s', %d, %d, '%s', '%s');"
                    % (rid, sid, i, p[0], p[1]))
        if len(p) < 3:
            continue
        unit, lo, hi = ("Pa", "NULL", "5.0") if p[0] == "leak" else ("V", "4.9", "5.1")
        lsql.append("INSERT INTO measurements (id, step_id, name, value, unit, low, high, outcome)"
                    " VALUES (%d, %d, '%s', %s, '%s', %s, %s, '%s');" % (sid, sid, p[0], p[2], unit, lo, hi, p[1]))
        psql.append("INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome,"
                    " started_us) VALUES ('%s', %d, %d, '%s', %s, '%s', %s, %s, '%s', %d);"
                    % (rid, sid, sid, p[0], p[2], unit, lo, hi, p[1], t))
open("%s/%s-log.sql" % (out, name), "w").write("\n".join(lsql) + "\n")
open("%s/%s-pg.sql" % (out, name), "w").write("\n".join(psql) +
    "\nSELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs WHERE id LIKE '%s%%';\n"
    % prefix)
PY
}

central_drop_v15() {	# version 14: no hour cells
	pg_sql "SELECT pg_advisory_xact_lock(126943990476147);
	DROP TABLE sum_meas_hour, sum_fail_hour, sum_hours;
	DROP FUNCTION central_sum_meas(boolean), central_sum_hours(boolean), central_sum_hours_bulk(),
		central_sum_hours_some(), central_bins_add(bigint[], bigint[]);
	ALTER FUNCTION central_sum_meas_v14(boolean) RENAME TO central_sum_meas;
	DELETE FROM central_schema WHERE version >= 15;" >/dev/null
}

central_drop_v14() {	# version 13: no line values of the capability cells
	central_drop_v15
	pg_sql "SELECT pg_advisory_xact_lock(126943990476147);
	DROP TABLE sum_cap_lines;
	DROP FUNCTION central_sum_cap_cells(boolean), central_sum_cap_lines(),
		central_sum_cap_lines_all(), central_sum_cap_roll_all(), central_sum_cap_all();
	ALTER FUNCTION central_sum_cap_cells_v13(boolean) RENAME TO central_sum_cap_cells;
	ALTER FUNCTION central_sum_cap_roll_all_v13() RENAME TO central_sum_cap_roll_all;
	ALTER FUNCTION central_sum_cap_all_v13() RENAME TO central_sum_cap_all;
	DELETE FROM central_schema WHERE version >= 14;" >/dev/null
}

central_drop_v13() {	# version 12: no month cells
	central_drop_v14
	pg_sql "SELECT pg_advisory_xact_lock(126943990476147);
	DELETE FROM sum_meas WHERE cell IN (SELECT id FROM sum_cells WHERE grp = 'm');
	DELETE FROM sum_cells WHERE grp = 'm';
	DROP FUNCTION central_sum_meas(boolean), central_day_month(integer);
	ALTER FUNCTION central_sum_meas_v12(boolean) RENAME TO central_sum_meas;
	DROP INDEX runs_outcome_line;
	CREATE INDEX runs_outcome ON runs (outcome, started_us);
	ALTER FUNCTION central_summarise_runs(text[]) RESET jit;
	ALTER FUNCTION central_summarise_run(text) RESET jit;
	DELETE FROM central_schema WHERE version >= 13;" >/dev/null
}

central_drop_v12() {	# version 11's day cells, built again from the rows
	central_drop_v13
	pg_sql "SELECT pg_advisory_xact_lock(126943990476147);
	TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails, sum_meas
		RESTART IDENTITY;
	DROP FUNCTION central_sum_cells_all(), central_summarise_new_v6(boolean), central_sum_tmp();
	ALTER FUNCTION central_summarise_new_v11(boolean) RENAME TO central_summarise_new_v6;
	ALTER FUNCTION central_sum_tmp_v11() RENAME TO central_sum_tmp;
	ALTER TABLE sum_cells DROP CONSTRAINT sum_cells_key, DROP COLUMN outcome,
		DROP COLUMN operator, DROP COLUMN work_order, DROP COLUMN part_number, DROP COLUMN revision;
	ALTER TABLE sum_cells ADD UNIQUE (level, station, fixture, sequence_name, sequence_version, day);
	DELETE FROM central_schema WHERE version >= 12;
	SELECT central_summarise_all();" >/dev/null
}

central_drop_v11() {
	central_drop_v12
	pg_sql "DROP INDEX measurements_name_run; DELETE FROM central_schema WHERE version >= 11" >/dev/null
}

central_drop_v10() {
	central_drop_v11
	pg_sql "DO \$\$ DECLARE p record; BEGIN
		FOR p IN SELECT policyname, tablename FROM pg_policies WHERE schemaname = 'public' LOOP
			EXECUTE format('DROP POLICY %I ON %I', p.policyname, p.tablename);
			EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', p.tablename);
		END LOOP; END \$\$;
	DROP TABLE central_stations;
	DROP FUNCTION central_may_write(text), central_may_write_run(text), central_seq_null(),
		central_seq_units(boolean), central_seq_meas();
	GRANT TEMPORARY ON DATABASE central TO PUBLIC;
	DELETE FROM central_schema WHERE version >= 10" >/dev/null
}

central_drop_v4() {
	central_drop_v10
	pg_sql "DROP TABLE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails,
		sum_meas_keys, sum_meas, sum_cap_keys, sum_cap, sum_cap_day, sum_cap_month;
	DROP FUNCTION central_summarise_run(text), central_summarise_all(),
		central_summarise_all_v6(), central_summarise_new_v6(boolean), central_sum_cap_tmp(),
		central_sum_cap_bulk(), central_sum_cap_some(),
		central_sum_cap_cells(boolean), central_sum_cap(boolean), central_sum_cap_all(),
		central_sum_cap_cells_v7(boolean), central_sum_cap_touched(boolean), central_sum_cap_roll(),
		central_sum_cap_roll_all(),
		central_summarise_all_v7(), central_cap_month(bigint),
		central_summarise_new(boolean), central_sum_units(), central_sum_meas(boolean),
		central_sum_tmp(), central_summarise_runs(text[]), central_sum_meas_bulk(boolean),
		central_sum_keys(), central_sum_meas_add(), central_sum_units_v4(),
		central_hist_frame(float8, float8, float8), central_hist_bin(float8, float8, float8, float8),
		central_hist_dense(integer[], bigint[]), central_hist_add(bigint[], bigint[]);
	DELETE FROM central_schema WHERE version >= 4" >/dev/null
}

central_hours() {	# the hour cells (version 15): measurements, failed steps
	pg_sql "SELECT h.hour, h.station, h.fixture, h.sequence_name, h.sequence_version,
		k.sequence_name, k.step, k.name, k.unit, k.low, k.high, m.n,
		round((k.ref + m.s1 / m.n)::numeric, 9), m.min, m.max, m.out_low, m.out_high, m.bins
		FROM sum_hours h JOIN sum_meas_hour m ON m.grp = h.id
		JOIN sum_meas_keys k ON k.id = m.key ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;
	SELECT h.hour, h.station, h.fixture, h.sequence_name, h.sequence_version, f.step, f.n
		FROM sum_hours h JOIN sum_fail_hour f ON f.grp = h.id ORDER BY 1, 2, 3, 4, 5, 6"
}

central_sums() {
	[ "$(pg_sql "SELECT to_regclass('sum_hours') IS NOT NULL")" != t ] || central_hours
	# (the 'x' cells are keyed by the run's outcome and line too: version 12)
	pg_sql "SELECT level, day, station, fixture, sequence_name, sequence_version, outcome,
		operator, work_order, part_number, revision, runs, units, passed, first_units,
		first_passed FROM sum_cells ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
	# (the reference value is the first one seen: the mean, not the sums)
	pg_sql "SELECT c.level, c.station, c.fixture, k.step, k.name, m.n,
		round((k.ref + m.s1 / m.n)::numeric, 9), m.min, m.max,
		m.out_low, m.out_high, m.bins FROM sum_meas m JOIN sum_cells c ON c.id = m.cell
		JOIN sum_meas_keys k ON k.id = m.key
		ORDER BY 1, 2, 3, 4, 5, c.day, c.sequence_name, c.sequence_version, c.outcome,
		c.operator, c.work_order, c.part_number, c.revision, 6, 7, 8, 9, 10, 11, 12"
	pg_sql "SELECT c.level, c.station, c.fixture, c.day, f.step, f.n FROM sum_step_fails f
		JOIN sum_cells c ON c.id = f.cell ORDER BY 1, 2, 3, 4, 5, c.sequence_name,
		c.sequence_version, c.outcome, c.operator, c.work_order, c.part_number, c.revision, 6"
	# the capability cells (version 7), each computed from its rows whole
	pg_sql "SELECT k.sequence_name, k.sequence_version, k.step, k.name, k.unit, k.low, k.high,
		c.station, c.fixture, c.hour, c.n, c.ref, c.s1, c.s2, c.min, c.max, c.first_us,
		c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum FROM sum_cap c
		JOIN sum_cap_keys k ON k.id = c.key ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
	# their days and months (version 8)
	local t
	for t in sum_cap_day sum_cap_month; do
		pg_sql "SELECT '$t', k.sequence_name, k.sequence_version, k.step, k.name, k.unit,
			k.low, k.high, c.station, c.fixture, c.hour, c.n, c.mean, c.m2, c.ssw, c.n_sub,
			c.min, c.max, c.first_us, c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum
			FROM $t c JOIN sum_cap_keys k ON k.id = c.key ORDER BY 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
	done
}
