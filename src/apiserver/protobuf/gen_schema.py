#!/usr/bin/env python3
"""Generates schema_table.rs: the protobuf schema of the built-in kinds kelp decodes.

Usage (from the repository root):

    python3 src/apiserver/protobuf/gen_schema.py API_DIR APIMACHINERY_DIR v0.33.9 \
        > src/apiserver/protobuf/schema_table.rs

(the table is `#[rustfmt::skip]`; the output is stable, so a rerun on the same tag is
a no-op diff).

API_DIR is a checkout of k8s.io/api and APIMACHINERY_DIR one of k8s.io/apimachinery,
both at the tag matching the kubectl kelp targets (v0.33.x for kubectl 1.33; the tag
is only written into the header), e.g.

    git -C api archive v0.33.9 | tar -x -C /tmp/api

Two upstream sources are combined, message by message:

* `generated.proto`: message names, field numbers, proto types, repeated and maps;
* `types.go` (the Go structs the protos are generated from): each field's JSON name,
  whether it is `,inline`, and whether its JSON tag has `omitempty` on a non-pointer
  Go scalar. Go's protobuf encoder always writes such scalars, zero or not, while Go's
  JSON encoder drops them when zero; to produce the JSON a JSON client would have sent,
  the decoder drops them too (flag OMIT_ZERO). Pointer fields keep a present zero.

Only messages reachable from the root kinds are emitted: every Go struct in PACKAGES
that embeds TypeMeta and is not a list, plus EXTRA_ROOTS.
"""

import os
import re
import sys

# (directory under API_DIR, API group) of the packages whose kinds kelp serves.
PACKAGES = [
    ("core/v1", ""),
    ("apps/v1", "apps"),
    ("authentication/v1", "authentication.k8s.io"),
    ("authorization/v1", "authorization.k8s.io"),
    ("autoscaling/v1", "autoscaling"),
    ("autoscaling/v2", "autoscaling"),
    ("batch/v1", "batch"),
    ("certificates/v1", "certificates.k8s.io"),
    ("coordination/v1", "coordination.k8s.io"),
    ("discovery/v1", "discovery.k8s.io"),
    ("events/v1", "events.k8s.io"),
    ("networking/v1", "networking.k8s.io"),
    ("node/v1", "node.k8s.io"),
    ("policy/v1", "policy"),
    ("rbac/v1", "rbac.authorization.k8s.io"),
    ("scheduling/v1", "scheduling.k8s.io"),
    ("storage/v1", "storage.k8s.io"),
]
# Directories under APIMACHINERY_DIR holding the shared types.
MACHINERY = [
    "pkg/apis/meta/v1",
    "pkg/api/resource",
    "pkg/util/intstr",
    "pkg/runtime",
    "pkg/runtime/schema",
]
META = "k8s.io.apimachinery.pkg.apis.meta.v1."
EXTRA_ROOTS = [("meta.k8s.io/v1", META + "DeleteOptions")]

# Messages with their own JSON form (custom MarshalJSON upstream); codes match
# `Special` in schema.rs.
SPECIAL = {
    META + "Time": 1,
    META + "MicroTime": 2,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": 3,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": 4,
    "k8s.io.apimachinery.pkg.runtime.RawExtension": 5,
    META + "FieldsV1": 5,
}
STRING_LIST = 6  # a Go `type X []string` carried as message { repeated string items = 1 }
UNSUPPORTED = {META + "Duration"}  # no kind kelp serves reaches it

SCALARS = {"string": 0, "bool": 1, "int32": 2, "int64": 3, "bytes": 4}
MSG_BASE = 8
REPEATED, MAP, INLINE, OMIT_ZERO = 1, 2, 4, 8

FIELD_RE = re.compile(r"^\s+(optional|repeated)\s+(\S+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_RE = re.compile(r"^\s+map<\s*(\S+)\s*,\s*(\S+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def die(msg):
    sys.exit("gen_schema: " + msg)


def parse_proto(path):
    """{full message name: [(label, type, name, tag)]}, types fully qualified."""
    messages, package, current = {}, None, None
    with open(path) as f:
        lines = [re.sub(r"//.*", "", line.rstrip("\n")) for line in f]
    for line in lines:
        if m := re.match(r"^package\s+([\w.]+)\s*;", line):
            package = m.group(1)
        elif m := re.match(r"^message\s+(\w+)\s*\{", line):
            current = package + "." + m.group(1)
            messages[current] = []
        elif re.match(r"^\}", line):
            current = None
        elif current and (m := MAP_RE.match(line)):
            if m.group(1) != "string":
                die(f"{current}: map key {m.group(1)}")
            messages[current].append(("map", m.group(2), m.group(3), int(m.group(4))))
        elif current and (m := FIELD_RE.match(line)):
            messages[current].append(m.groups()[:3] + (int(m.group(4)),))
        elif current and line.strip() and not line.strip().startswith("option"):
            die(f"{path}: cannot parse {line!r}")

    def qualify(t):
        if t in SCALARS:
            return t
        return t[1:] if t.startswith(".") else package + "." + t

    return package, {
        name: [(label, qualify(t), n, tag) for (label, t, n, tag) in fields]
        for name, fields in messages.items()
    }


GO_FIELD_RE = re.compile(r"^\s+(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")


def parse_go(directory, package):
    """Go structs as {full message name: {tag: (go type, JSON name, omitempty, inline)}},
    the `[]string` types, and the structs that embed TypeMeta (the kinds)."""
    structs, lists, kinds = {}, set(), set()
    for file in sorted(os.listdir(directory)):
        if not file.endswith(".go") or file.endswith("_test.go") or ".pb." in file:
            continue
        with open(os.path.join(directory, file)) as f:
            lines = f.read().split("\n")
        current = None
        for line in lines:
            if m := re.match(r"^type\s+(\w+)\s+struct\s*\{", line):
                current = package + "." + m.group(1)
                structs[current] = {}
            elif m := re.match(r"^type\s+(\w+)\s+\[\]string\s*$", line):
                lists.add(package + "." + m.group(1))
            elif re.match(r"^\}", line):
                current = None
            elif current and (m := GO_FIELD_RE.match(line)):
                go_type, tags = m.group(2), m.group(3)
                if m.group(1) is None and go_type.endswith("TypeMeta"):
                    kinds.add(current)
                pb = re.search(r'protobuf:"([^"]*)"', tags)
                if not pb or pb.group(1) == "-":
                    continue
                tag = int(pb.group(1).split(",")[1])
                js = re.search(r'json:"([^"]*)"', tags)
                parts = js.group(1).split(",") if js else [""]
                structs[current][tag] = (
                    go_type,
                    parts[0],
                    "omitempty" in parts[1:],
                    "inline" in parts[1:],
                )
    return structs, lists, kinds


def main():
    if len(sys.argv) != 4:
        die("usage: gen_schema.py API_DIR APIMACHINERY_DIR TAG")
    api_dir, machinery_dir, tag = sys.argv[1:]
    protos, go_structs, string_lists, roots = {}, {}, set(), []
    dirs = [(os.path.join(api_dir, d), g) for d, g in PACKAGES]
    dirs += [(os.path.join(machinery_dir, d), None) for d in MACHINERY]
    for directory, group in dirs:
        package, messages = parse_proto(os.path.join(directory, "generated.proto"))
        protos.update(messages)
        structs, lists, kinds = parse_go(directory, package)
        go_structs.update(structs)
        string_lists |= lists
        if group is None:
            continue
        version = package.rsplit(".", 1)[1]
        api_version = f"{group}/{version}" if group else version
        for name, fields in messages.items():
            if name in kinds and not any(t == META + "ListMeta" for _, t, _, _ in fields):
                roots.append((api_version, name))
    roots += EXTRA_ROOTS

    # Reachable messages, breadth first from the roots, in a stable order.
    order, index = [], {}
    queue = [name for _, name in roots]
    while queue:
        name = queue.pop(0)
        if name in index:
            continue
        if name in UNSUPPORTED or name not in protos:
            die(f"unsupported message {name}")
        index[name] = len(order)
        order.append(name)
        if name in SPECIAL or name in string_lists:
            continue
        queue += [t for _, t, _, _ in protos[name] if t not in SCALARS]

    names = Interner()
    messages_out, fields_out = [], []
    for name in order:
        special = SPECIAL.get(name, STRING_LIST if name in string_lists else 0)
        first = len(fields_out)
        if special == 0:
            fields_out += message_fields(name, protos[name], go_structs, index, names)
        short = name.removeprefix("k8s.io.api.").removeprefix("k8s.io.apimachinery.pkg.")
        messages_out.append((names.get(short), special, first, len(fields_out) - first))

    emit(roots, index, names, messages_out, fields_out, tag)


def message_fields(name, fields, go_structs, index, names):
    go = go_structs.get(name)
    if go is None:
        die(f"no Go struct for {name}")
    out = []
    for label, t, field_name, tag in sorted(fields, key=lambda f: f[3]):
        if tag not in go:
            die(f"{name}.{field_name} ({tag}): no Go field")
        go_type, json_name, omitempty, inline = go[tag]
        flags = {"repeated": REPEATED, "map": MAP}.get(label, 0)
        if inline:
            if flags or t in SCALARS:
                die(f"{name}.{field_name}: inline non-message")
            flags |= INLINE
            json_name = ""
        elif not json_name or json_name == "-":
            die(f"{name}.{field_name}: no JSON name")
        if t in SCALARS and not flags and omitempty and not go_type.startswith("*"):
            flags |= OMIT_ZERO
        kind = SCALARS[t] if t in SCALARS else MSG_BASE + index[t]
        if tag > 0xFFFF or kind > 0xFFFF:
            die(f"{name}.{field_name}: tag or kind does not fit u16")
        out.append((tag, names.get(json_name), kind, flags, f"{field_name}"))
    return out


class Interner:
    """All names in one string; a name is (byte offset, length)."""

    def __init__(self):
        self.text, self.at = [], {}
        self.size = 0

    def get(self, s):
        if s not in self.at:
            self.at[s] = (self.size, len(s))
            self.text.append(s)
            self.size += len(s)
            if self.size > 0xFFFF or len(s) > 0xFF:
                die("names do not fit u16 offsets / u8 lengths")
        return self.at[s]

    def text_of(self, off, ln):
        return "".join(self.text)[off : off + ln]


def emit(roots, index, names, messages, fields, tag):
    w = sys.stdout.write
    w("//! The protobuf schema of the built-in kinds: @generated by `gen_schema.py` from\n")
    w(f"//! k8s.io/api and k8s.io/apimachinery {tag} (`generated.proto` + `types.go`).\n")
    w("//! Do not edit; see `gen_schema.py` for how to regenerate.\n\n")
    w("use super::schema::{Field, Message, f, m};\n\n")
    w(f"/// Every JSON field name and message name ({names.size} bytes).\n")
    w("pub(super) static NAMES: &str = concat!(\n")
    line = ""
    for s in names.text:
        if len(line) + len(s) > 80:
            w(f'    "{line}",\n')
            line = ""
        line += s
    w(f'    "{line}",\n);\n\n')
    w("/// `(apiVersion, kind)` of each root kind and its message.\n")
    w(f"pub(super) static KINDS: [(&str, &str, u16); {len(roots)}] = [\n")
    for api_version, name in sorted(roots):
        w(f'    ("{api_version}", "{name.rsplit(".", 1)[1]}", {index[name]}),\n')
    w("];\n\n")
    w("/// Messages: name, special form, first field, field count.\n")
    w(f"pub(super) static MESSAGES: [Message; {len(messages)}] = [\n")
    for i, ((off, ln), special, first, count) in enumerate(messages):
        w(f"    m({off}, {ln}, {special}, {first}, {count}), // {i}\n")
    w("];\n\n")
    w("/// Fields of every message, by message then tag: tag, JSON name, kind, flags.\n")
    w(f"pub(super) static FIELDS: [Field; {len(fields)}] = [\n")
    for i, ((off, ln), _, first, count) in enumerate(messages):
        if count:
            w(f"    // {i}: {names.text_of(off, ln)}\n")
        for tag, (noff, nln), kind, flags, _ in fields[first : first + count]:
            w(f"    f({tag}, {noff}, {nln}, {kind}, {flags}),\n")
    w("];\n")


if __name__ == "__main__":
    main()
