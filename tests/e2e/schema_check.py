#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
The draft-07 keywords sequences/schema.json uses, checked the way an editor
with a JSON Schema validator would (a small validator: no network, no new
package).  As a module: errs(value, schema) -> list of problems.  As a
program: schema_check.py SCHEMA FILE.json... prints each file's problems
and exits 1 when any file has one.
"""
import json, os, re, sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
schema = None
schema_dir = "."

def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])

def errs(v, s, at):
    """The draft-07 keywords schema.json uses; returns a list of problems."""
    if "$ref" in s:
        # "#/definitions/x" in this schema, "file.json#/definitions/x" in a
        # schema next to it
        where, _, path = s["$ref"].partition("#")
        node = json.load(open(os.path.join(schema_dir, where))) if where else schema
        for part in path.lstrip("/").split("/"):
            node = node[part] if part else node
        if where:
            return check(os.path.join(schema_dir, where), v, node, at)
        return errs(v, node, at)
    out = []
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            return ["%s: %r is not %s" % (at, v, "/".join(ts))]
    if "enum" in s and v not in s["enum"]:
        out.append("%s: %r not one of %s" % (at, v, s["enum"]))
    if isinstance(v, str):
        if "pattern" in s and not re.search(s["pattern"], v):
            out.append("%s: %r does not match %s" % (at, v, s["pattern"]))
        if len(v) < s.get("minLength", 0):
            out.append("%s: too short" % at)
    if is_type(v, "number"):
        if v < s.get("minimum", v) or v > s.get("maximum", v):
            out.append("%s: %r out of range" % (at, v))
    if isinstance(v, list):
        if not s.get("minItems", 0) <= len(v) <= s.get("maxItems", len(v)):
            out.append("%s: %d items" % (at, len(v)))
        for i, x in enumerate(v):
            out += errs(x, s.get("items", {}), "%s[%d]" % (at, i))
    if isinstance(v, dict):
        if len(v) < s.get("minProperties", 0):
            out.append("%s: too few keys" % at)
        for k in s.get("required", []):
            if k not in v:
                out.append("%s: missing %s" % (at, k))
        for k, x in v.items():
            if "propertyNames" in s:
                out += errs(k, s["propertyNames"], "%s key %r" % (at, k))
            if k in s.get("properties", {}):
                out += errs(x, s["properties"][k], "%s.%s" % (at, k))
            elif s.get("additionalProperties") is False:
                out.append("%s: unknown key %r" % (at, k))
            elif isinstance(s.get("additionalProperties"), dict):
                out += errs(x, s["additionalProperties"], "%s.%s" % (at, k))
    if isinstance(v, str) and len(v) > s.get("maxLength", len(v)):
        out.append("%s: too long" % at)
    if "not" in s and not errs(v, s["not"], at):
        out.append("%s: matches what 'not' refuses" % at)
    for a in s.get("allOf", []):
        out += errs(v, a, at)
    if "anyOf" in s and all(errs(v, a, at) for a in s["anyOf"]):
        out.append("%s: matches none of anyOf" % at)
    if "oneOf" in s:
        n = sum(not errs(v, a, at) for a in s["oneOf"])
        if n != 1:
            out.append("%s: matches %d of oneOf, not exactly one" % (at, n))
    return out


def check(schema_path, value, node=None, at="$"):
    """Problems of value against the schema file (or its node)."""
    global schema, schema_dir
    saved = schema, schema_dir
    schema = json.load(open(schema_path))
    schema_dir = os.path.dirname(os.path.abspath(schema_path))
    try:
        return errs(value, schema if node is None else node, at)
    finally:
        if saved[0] is not None:
            schema, schema_dir = saved

if __name__ == "__main__":
    bad = 0
    for f in sys.argv[2:]:
        e = check(sys.argv[1], json.load(open(f)))
        if e:
            print("%s:\n  %s" % (f, "\n  ".join(e)))
            bad += 1
    sys.exit(1 if bad else 0)
