#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sequences/schema.json stays in step with the loader:
#  - the step kinds are those of the engine's table (station/steps/registry.c);
#  - each kind's keys are its parse function's allowed keys (the *_keys[]
#    arrays of station/steps/*.c; for lines: the output line names of
#    fixtures/fixture.c plus pulse/settle), the common step keys, top-level
#    keys and limit keys those of the loader (station/sequence.c, seq_steps.c,
#    seq_include.c); the enumerations
#    (on_fail, format, verify, erase, blank, loader, line states) those in the C;
#  - a file using every key the schema allows, with the schema's own example
#    values, passes `station lint`; an extra key in each kind is refused.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
python3 - "$ST_TOP" "$t" <<'PY' || fail "schema and loader disagree (see above)"
import json, os, re, sys

top, tmp = sys.argv[1], sys.argv[2]
schema = json.load(open(os.path.join(top, "sequences/schema.json")))
defs = schema["definitions"]
src = {}
for d in ("station", "station/steps", "fixtures", "link", "loader"):
    for f in os.listdir(os.path.join(top, d)):
        if f.endswith(".c"):
            src[d + "/" + f] = open(os.path.join(top, d, f)).read()
problems = []

def check(what, got, want):
    got, want = set(got), set(want)
    if got != want:
        problems.append("%s: schema has %s, loader has %s (only in schema: %s; only in loader: %s)"
                        % (what, sorted(got), sorted(want), sorted(got - want), sorted(want - got)))

def c_array(text, name):
    m = re.search(r"const char \*const %s\[\][^=]*=\s*\{(.*?)\};" % re.escape(name), text, re.S)
    if not m:
        sys.exit("no array %s[] in the C source: update this test" % name)
    return re.findall(r'"([^"]*)"', m.group(1))

def resolve(node):
    while "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    return node

def object_form(node):
    """The mapping form of a kind's value (kinds may also take a scalar)."""
    node = resolve(node)
    if node.get("type") == "object":
        return node
    for alt in node.get("oneOf", []):
        alt = resolve(alt)
        if alt.get("type") == "object":
            return alt
    return None

seq = "".join(src["station/" + f] for f in ("sequence.c", "seq_steps.c", "seq_include.c"))
step = defs["step"]
# top level: a sequence file, and files included for their groups or steps
top_keys, inc_keys = c_array(seq, "top_keys"), c_array(seq, "inc_keys")
if not set(inc_keys) <= set(top_keys):
    problems.append("included-file keys %s are not all sequence keys" % inc_keys)
check("top-level keys", schema["properties"], set(top_keys) | set(inc_keys))
check("limit keys", defs["limit"]["properties"], c_array(seq, "limit_keys"))
common = c_array(seq, "step_common_keys")
on_fail = re.search(r"parse_on_fail.*?names\[\] = \{(.*?)\}", seq, re.S)
check("on_fail values", step["properties"]["on_fail"]["enum"], re.findall(r'"(\w+)"', on_fail.group(1)))

# the kinds: the engine's table, each entry's .name
table = re.search(r"step_kinds\[\] = \{(.*?)\};", src["station/steps/registry.c"], re.S).group(1)
kinds = {}
for sym in re.findall(r"&(\w+)", table):
    for f, text in src.items():
        m = re.search(r"const struct step_kind %s = \{\s*\.name = \"(\w+)\"" % sym, text)
        if m:
            kinds[m.group(1)] = f
if not kinds or len(kinds) != len(re.findall(r"&(\w+)", table)):
    sys.exit("cannot find every step kind of station/steps/registry.c: update this test")
one_of = [alt["required"][0] for alt in step["oneOf"]]
check("step kinds (exactly one of)", one_of, kinds)
check("step keys", step["properties"], set(common) | set(kinds))

# each kind's own keys
lines_c = src["station/steps/lines.c"]
fixture_c = src["fixtures/fixture.c"]
names = dict(re.findall(r"\[(FX_\w+)\] = \"([\w-]+)\"", fixture_c))
refused = re.findall(r"line == (FX_\w+)", lines_c)
line_keys = [n for e, n in names.items() if e not in refused]
line_keys += re.findall(r'!strcmp\(k, "(\w+)"\)', lines_c)
line_values = re.findall(r'!strcmp\(v->str, "(\w+)"\)', lines_c)
for kind, f in sorted(kinds.items()):
    form = object_form(step["properties"][kind])
    arrays = re.findall(r"const char \*const (%s_keys)\[\]" % kind, src[f])
    if kind == "lines":
        want = line_keys
    elif arrays:
        want = c_array(src[f], arrays[0])
    else:
        want = []
    got = list(form["properties"]) if form else []
    check("keys of '%s' (%s)" % (kind, f), got, want)
# YAML true/false reach the loader as the text "true"/"false"
lstate = [json.dumps(v) if isinstance(v, bool) else v for v in defs["lineState"]["enum"]]
check("line states", lstate, line_values)

# enumerations of flash, and the native loaders
flash_c, fl = src["station/steps/flash.c"], object_form(step["properties"]["flash"])["properties"]
for key, arr in (("format", "formats"), ("verify", "verifies"), ("erase", "erases"),
                 ("blank", "blanks")):
    check("flash %s values" % key, fl[key]["enum"], c_array(flash_c, arr))
loaders = [n for text in src.values()
           for n in re.findall(r"const struct loader \w+ = \{\s*\.name = \"(\w+)\"", text)]
check("flash loaders", fl["loader"]["enum"], loaders)

if problems:
    print("\n".join(problems))
    sys.exit(1)

# ---- a file that uses every key the schema allows, with its example values
builtin = {"serial", "fixture", "station", "run_id", "operator", "port", "sequence",
           "trust", "config_dir", "date", "time"}
defined = {}

def value(prop):
    node = resolve(prop)
    for n in (prop, node):
        if "examples" in n:
            return n["examples"][0]
    if "enum" in node:
        return node["enum"][0]
    if node.get("type") == "boolean":
        return True
    if node.get("type") in ("integer", "number"):
        return node.get("minimum", 1)
    if "oneOf" in node:  # durations
        return "1s"
    return "text"

def full(kind):
    form = object_form(step["properties"][kind])
    if form is None:
        return value(step["properties"][kind])
    return {k: value(v) for k, v in form["properties"].items()}

steps = []
for kind in kinds:
    s = {k: value(step["properties"][k]) for k in common}
    s["id"] = "s_" + kind.replace("-", "_")
    s["name"] = "every key of " + kind
    s["when"] = "${rework} != yes"
    s[kind] = full(kind)
    steps.append(s)
    if kind == "scpi":
        # an instrument on a network address or on a serial port, not both
        serial = {"port": s[kind].pop("port"), "baud": s[kind].pop("baud"), "send": ["*CLS"]}
        steps.append({"name": "scpi on a serial port", kind: serial})
    if kind in ("measure", "scpi"):
        # one source of limits: inline in this step, the table's in another
        limit = s[kind].pop("limit")
        other = {k: v for k, v in s[kind].items()
                 if k not in ("low", "high", "unit", "expect", "name")}
        other["limit"] = limit
        steps.append({"name": kind + " with the table's limit", kind: other})
    if kind == "prompt":
        # choices or a pattern, not both: the pattern in a prompt of its own
        pattern = s[kind].pop("pattern")
        steps.append({"name": "prompt with a pattern",
                      "prompt": {"message": "scan", "var": "scanned", "pattern": pattern}})
    bad = {"name": "bad " + kind, kind: full(kind)}
    if isinstance(bad[kind], dict):
        bad[kind]["bogus_key"] = "1"
        badfile = os.path.join(tmp, "bad-%s.yaml" % kind)
        json.dump({"name": "bad", "version": "1", "steps": [bad]}, open(badfile, "w"))
seq_doc = {
    "name": "every-key", "version": "1.0.0", "description": "generated by t_seq_schema",
    "vars": {"rework": "no"}, "limits": {}, "include": ["groups.yaml"],
    "groups": {}, "setup": [], "steps": steps, "teardown": [{"delay": "1ms"}], "params": [],
}
check("generated top-level keys", seq_doc, schema["properties"])
text = json.dumps(seq_doc)
for ref in sorted(set(re.findall(r"\$\{([^}]+)\}", text)) - builtin):
    if not ref.endswith(".outcome"):
        seq_doc["vars"][ref] = ref + ".dat"
        open(os.path.join(tmp, ref + ".dat"), "w").close()
# every limit key, in the entries the examples name
lim = {k: value(v) for k, v in defs["limit"]["properties"].items()}
for ref in re.findall(r'"limit": "([^"]+)"', text):
    seq_doc["limits"][ref] = lim
groups_file = {"name": "groups", "version": "1", "groups": {}}
for ref in re.findall(r'"group": "([^"]+)"', text):
    seq_doc["groups"]["local-" + ref] = [{"delay": "1ms"}]
    groups_file["groups"][ref] = [{"delay": "1ms"}]
for ref in re.findall(r'"group": \{"name": "([^"]+)"', text):  # {name, with}: a group with params
    params = list(value(object_form(step["properties"]["group"])["properties"]["with"]))
    groups_file["groups"][ref] = {"params": params, "steps": [
        {"name": "with ${%s}" % p, "delay": "1ms"} for p in params]}
json.dump(groups_file, open(os.path.join(tmp, "groups.yaml"), "w"))
for ref in re.findall(r'"include": "([^"]+)"', text):
    os.makedirs(os.path.dirname(os.path.join(tmp, ref)), exist_ok=True)
    json.dump({"name": "inc", "version": "1", "steps": [{"delay": "1ms"}]},
              open(os.path.join(tmp, ref), "w"))
for ref in re.findall(r'"file": "([^"]+)"', text):  # include {file, with}: its params
    os.makedirs(os.path.dirname(os.path.join(tmp, ref)), exist_ok=True)
    params = list(value(step["properties"]["include"]["oneOf"][1]["properties"]["with"]))
    json.dump({"name": "inc", "version": "1", "params": params, "steps": [{"delay": "1ms"}]},
              open(os.path.join(tmp, ref), "w"))
for ref in re.findall(r'"image": "([^"]+)"', text):  # a prompt's picture
    if not ref.endswith(".bin"):
        os.makedirs(os.path.dirname(os.path.join(tmp, ref)), exist_ok=True)
        open(os.path.join(tmp, ref), "w").close()
seq_doc["setup"] = [{"name": "setup", "lines": {"power": "off"}}]
if problems:
    print("\n".join(problems))
    sys.exit(1)
json.dump(seq_doc, open(os.path.join(tmp, "every-key.yaml"), "w"), indent=1)
open(os.path.join(tmp, "kinds"), "w").write("\n".join(k for k in kinds if
    os.path.exists(os.path.join(tmp, "bad-%s.yaml" % k))) + "\n")
PY

# every key the schema allows is a key the loader accepts (JSON is YAML)
out=$(cd "$t" && "$BINDIR/station" lint every-key.yaml 2>&1) ||
	fail "a file using every key of the schema does not pass station lint:"$'\n'"$out"
assert_match "$out" "^every-key.yaml: ok \\(every-key 1.0.0\\)" "lint of the every-key file"
# and a key the schema does not allow is one the loader refuses
n=0
while read -r kind; do
	rc=0
	out=$(cd "$t" && "$BINDIR/station" lint "bad-$kind.yaml" 2>&1) || rc=$?
	assert_eq "$rc" 1 "lint of an unknown key in '$kind'"
	assert_match "$out" "bad-$kind.yaml:[0-9]+:[0-9]+: unknown (key|output line) 'bogus_key'" "unknown key in '$kind'"
	n=$((n + 1))
done <"$t/kinds"
[ "$n" -ge 8 ] || fail "only $n kinds with keys checked"
echo "ok: schema kinds, keys and enumerations match the loader; $n kinds refuse an unknown key"

# The schema accepts the real flows and the docs' examples, and refuses a
# broken one, as an editor would see them (yq: YAML to JSON, a YAML 1.2
# reading like the YAML language server's; the Debian package 'yq').
if ! command -v yq >/dev/null; then
	echo "ok (yq not installed: flows not validated against the schema)"
	exit 0
fi
python3 - "$ST_TOP/docs/sequences.md" "$t/docs" <<'PY'
import os, re, sys
text, out = open(sys.argv[1]).read(), sys.argv[2]
os.makedirs(out)
for name, body in re.findall(r"<!-- example: (\S+).*? -->\n```yaml\n(.*?)```", text, re.S):
    open(os.path.join(out, name + ".yaml"), "w").write(body)
PY
printf 'name: bad\nversion: 1\nsteps:\n  - {console: version, delay: 1s}\n  - flash: {image: a.bin, verify: maybe}\n' >"$t/bad-schema.yaml"
files=("$ST_TOP"/sequences/*.yaml "$ST_TOP"/sequences/common/*.yaml "$t"/docs/*.yaml "$t/bad-schema.yaml")
for f in "${files[@]}"; do
	# the JSON goes to the temp dir, never next to the flows
	yq -c . "$f" >"$t/json_$(echo "$f" | tr / _).json" || fail "yq cannot read $f"
done
JSON_DIR=$t ST_E2E=$ST_TOP/tests/e2e python3 - "$ST_TOP/sequences/schema.json" "${files[@]}" <<'PY' || fail "schema validation of the flows (see above)"
import json, os, sys
sys.path.insert(0, os.environ["ST_E2E"])
from schema_check import check
bad = 0
for f in sys.argv[2:]:
    e = check(sys.argv[1], json.load(open(os.path.join(os.environ["JSON_DIR"], "json_" + f.replace("/", "_") + ".json"))))
    if f.endswith("bad-schema.yaml"):
        want = {"$.steps[0]: matches 2 of oneOf, not exactly one",
                "$.steps[1].flash.verify: 'maybe' not one of ['none', 'readback', 'crc']"}
        if not want <= set(e):
            print("%s: the schema does not refuse it as expected: %s" % (f, e))
            bad += 1
    elif e:
        print("%s:\n  %s" % (f, "\n  ".join(e)))
        bad += 1
sys.exit(1 if bad else 0)
PY
echo "ok: ${#files[@]} flows and docs examples checked against the schema"
