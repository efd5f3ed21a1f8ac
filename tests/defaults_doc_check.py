#!/usr/bin/python3
"""The defaults the documentation states are the defaults the library sets.

Usage: defaults_doc_check.py PRINT_DEFAULTS_OUTPUT HEADER API_DOC [CLI_DOC]

PRINT_DEFAULTS_OUTPUT holds "struct field value" lines from tests/print_defaults.c
(what each cvxrelu_*_default() sets).  For every settings struct of the header:
  - every field it declares is printed (the printer misses none);
  - docs/api.md has a defaults table after "<!-- defaults STRUCT -->" with a row per
    field whose default cell starts with the value set;
  - a field comment in the header that says "default V" says the value set.
With CLI_DOC (docs/cli.md), the options whose defaults are the library's (CLI_MAP) must
state them in their command's option table.
One pass/fail line per struct and source; exit 1 on any mismatch.
"""
import re
import sys


def same(doc, val):
    doc = doc.strip().strip("`").rstrip(".,;:")
    if doc == val or val.endswith("_" + doc):
        return True
    try:
        if doc.lower() == "nan" and val.lower() == "nan":
            return True
        return abs(float(doc) - float(val)) <= 1e-12 * max(1.0, abs(float(val)))
    except ValueError:
        return False


# (command section of docs/cli.md, option, struct, field): CLI options that take the
# library's default
CLI_MAP = [
    ("train", "--patterns", "cvxrelu_train_settings", "patterns"),
    ("train", "--eps", "cvxrelu_train_settings", "tol"),
    ("train", "--eps-feas", "cvxrelu_train_settings", "tol_feas"),
    ("train", "--max-iter", "cvxrelu_train_settings", "max_iter"),
    ("train", "--seed", "cvxrelu_train_settings", "seed"),
    ("train", "--steps", "cvxrelu_local_settings", "steps"),
    ("train", "--batch", "cvxrelu_local_settings", "batch"),
    ("certify", "--sdp-max-rows", "cvxrelu_certify_settings", "sdp_max_rows"),
    ("certify", "--subsets-max-rows", "cvxrelu_certify_settings", "subsets_max_rows"),
    ("certify", "--samples", "cvxrelu_certify_settings", "samples"),
    ("certify", "--seed", "cvxrelu_certify_settings", "seed"),
    ("certify", "--tol", "cvxrelu_certify_settings", "tol"),
    ("certify", "--relaxation-eps", "cvxrelu_certify_run_settings", "relaxation_tol"),
]


def cli_defaults(text, section):
    """{option: default cell} of the option rows in docs/cli.md's '## section'."""
    m = re.search(r"^## " + section + r"\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    rows = {}
    for r in (m.group(1) if m else "").split("\n"):
        cells = [c.strip() for c in r.strip().strip("|").split("|")]
        if len(cells) >= 2:
            om = re.match(r"`(--[a-z0-9-]+)", cells[0])
            if om:
                rows.setdefault(om.group(1), cells[1])
    return rows


def header_structs(text):
    """{struct: {field: its comments}} for the typedef'd structs of the header."""
    out = {}
    for m in re.finditer(r"typedef struct \{(.*?)\n\} (cvxrelu_\w+);", text, re.S):
        body, name = m.group(1), m.group(2)
        fields, last = {}, []
        for seg in re.split(r"(/\*.*?\*/)", body, flags=re.S):
            if seg.startswith("/*"):
                for f in last:
                    fields[f] += " " + seg[2:-2]
                continue
            for decl in seg.split(";")[:-1]:
                fp = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", decl)
                if fp:
                    last = [fp.group(1)]
                else:
                    names = re.sub(r"^\s*[\w\s\*]*?[\s\*](?=\w+\s*(,|$))", "", decl.strip())
                    last = [f.strip().lstrip("*") for f in names.split(",")]
                for f in last:
                    fields.setdefault(f, "")
        out[name] = fields
    return out


def main():
    vals = {}
    for line in open(sys.argv[1]):
        st, f, v = line.split(None, 2)
        vals.setdefault(st, {})[f] = v.strip()
    hdr = header_structs(open(sys.argv[2]).read())
    doc = open(sys.argv[3]).read()
    bad = 0
    for st, fv in vals.items():
        # the printer covers every field the header declares
        missing = [f for f in hdr.get(st, {}) if f not in fv]
        if st not in hdr or missing:
            print(f"FAIL - {st}: fields not printed: {missing or 'struct not in header'}")
            bad += 1
        # docs/api.md's table
        m = re.search(r"<!-- defaults " + st + r" -->\s*\n(.*?)(?:\n\s*\n|\Z)", doc, re.S)
        if not m:
            print(f"FAIL - {st}: no defaults table in docs/api.md")
            bad += 1
        else:
            rows = {}
            for r in m.group(1).split("\n"):
                cells = [c.strip() for c in r.strip().strip("|").split("|")]
                if len(cells) >= 2 and cells[0].startswith("`"):
                    for f in re.findall(r"`(\w+)`", cells[0]):
                        rows[f] = cells[1].split()[0] if cells[1] else ""
            wrong = [f"{f}: doc {rows.get(f)!r}, set {v}" for f, v in fv.items()
                     if f not in rows or not same(rows[f], v)]
            if wrong:
                print(f"FAIL - {st}: docs/api.md differs: " + "; ".join(wrong))
                bad += 1
            else:
                print(f"ok   - {st}: docs/api.md states the {len(fv)} defaults set")
        # the header's comments
        wrong, n = [], 0
        for f, com in hdr.get(st, {}).items():
            for dm in re.finditer(r"\b[Dd]efault:? ([^\s(]\S*)", com):
                n += 1
                if f in fv and not same(dm.group(1), fv[f]):
                    wrong.append(f"{f}: header says {dm.group(1)}, set {fv[f]}")
        if wrong:
            print(f"FAIL - {st}: header comments differ: " + "; ".join(wrong))
            bad += 1
        else:
            print(f"ok   - {st}: the header's {n} stated defaults hold")
    if len(sys.argv) > 4:
        cli = open(sys.argv[4]).read()
        wrong = []
        for sec, opt, st, f in CLI_MAP:
            cell = cli_defaults(cli, sec).get(opt)
            if cell is None or not same(cell.split()[0] if cell else "", vals[st][f]):
                wrong.append(f"{sec} {opt}: doc {cell!r}, {st}.{f} = {vals[st][f]}")
        if wrong:
            print("FAIL - docs/cli.md defaults differ: " + "; ".join(wrong))
            bad += 1
        else:
            print(f"ok   - docs/cli.md states the library's defaults for {len(CLI_MAP)} options")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
