#!/usr/bin/env python3
"""Writes the conformance suite's goldens with the real Terraform (1.11.4 on
PATH; no provider is downloaded: the cases use only `terraform_data`):

- tests/conformance/expressions.json: what Terraform gives for every case of
  tests/conformance/expressions.txt (a value, as JSON text with Terraform's
  type, or an error with its summary);
- tests/conformance/plans.json: for every scenario under
  tests/conformance/plans/ (a `script` of `plan N [flags]` / `apply N [flags]`
  steps over configurations `N/`), what each step planned (resource and output
  changes), whether it succeeded, and the outputs after an apply.

Each case is an output of one configuration. Terraform stops at errors, so the
cases it reports errors for (by line) are recorded and taken out, and the rest
run again, until what is left applies; its outputs are the values.
"""
import json
import os
import re
import subprocess
import sys
import shutil
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "conformance", "expressions.txt")
OUT = os.path.join(ROOT, "tests", "conformance", "expressions.json")
PLANS = os.path.join(ROOT, "tests", "conformance", "plans")
PLANS_OUT = os.path.join(ROOT, "tests", "conformance", "plans.json")


class Raw:
    """A JSON number kept as Terraform wrote it (it may not fit a float)."""

    def __init__(self, text):
        self.text = text


def encode(v):
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + encode(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(encode(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def run(work, *args):
    env = dict(os.environ, TF_IN_AUTOMATION="1", TF_CLI_CONFIG_FILE="/dev/null")
    return subprocess.run(["terraform", *args], cwd=work, env=env, capture_output=True, text=True)


def error_lines(stdout):
    """(line, summary) of every error diagnostic in terraform's -json output."""
    out = []
    try:
        docs = [json.loads(stdout)]
    except ValueError:
        docs = []
        for line in stdout.splitlines():
            try:
                docs.append(json.loads(line))
            except ValueError:
                continue
    for d in docs:
        if not isinstance(d, dict):
            continue
        # `validate -json` prints one document; plan/apply print one per line.
        if "diagnostics" in d:
            diags = d["diagnostics"]
        elif d.get("type") == "diagnostic":
            diags = [d["diagnostic"]]
        else:
            diags = []
        for g in diags:
            if g.get("severity") != "error":
                continue
            rng = g.get("range")
            if not rng:
                sys.exit(f"an error without a place: {g}")
            out.append((rng["start"]["line"], g.get("summary", "")))
    return out


def main():
    cases = [l for l in open(CASES, encoding="utf-8").read().split("\n") if l.strip() and not l.startswith("#")]
    work = tempfile.mkdtemp(prefix="iac-conformance-")
    # The file functions' cases read fixtures relative to the configuration.
    shutil.copytree(os.path.join(ROOT, "tests", "conformance", "files"), os.path.join(work, "files"))
    results = {}
    remaining = list(range(len(cases)))
    while True:
        with open(os.path.join(work, "main.tf"), "w", encoding="utf-8") as f:
            for i in remaining:
                f.write(f'output "c{i}" {{\n  value = {cases[i]}\n}}\n')
        errors = []
        for step in (["validate", "-json", "-no-color"], ["plan", "-json", "-input=false", "-no-color"]):
            if step[0] == "plan" and not os.path.isdir(os.path.join(work, ".terraform")):
                run(work, "init", "-input=false", "-no-color")
            errors = error_lines(run(work, *step).stdout)
            if errors:
                break
        if not errors:
            r = run(work, "apply", "-auto-approve", "-input=false", "-no-color")
            if r.returncode == 0:
                break
            # Values Terraform computes but cannot store (infinity) fail the
            # apply by output name: errors too.
            failed = {int(n) for n in re.findall(r'output value "c(\d+)"', r.stdout + r.stderr)}
            if not failed:
                sys.exit(r.stdout + r.stderr)
            for i in failed:
                results[i] = {"error": "cannot store the value (infinity)"}
            remaining = [i for i in remaining if i not in results]
            continue
        for line, summary in errors:
            i = remaining[(line - 1) // 3]
            results[i] = {"error": summary}
        remaining = [i for i in remaining if i not in results]
        print(f"{len(results)} errors so far, {len(remaining)} cases left", file=sys.stderr)
    outputs = json.loads(run(work, "output", "-json").stdout, parse_float=Raw, parse_int=Raw)
    for i in remaining:
        # Terraform leaves null outputs out of `output -json`.
        o = outputs.get(f"c{i}", {"value": None, "type": None})
        results[i] = {"json": encode(o["value"]), "type": o["type"]}
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("[\n")
        for i, expr in enumerate(cases):
            entry = {"expr": expr, **results[i]}
            f.write(" " + json.dumps(entry, ensure_ascii=False) + (",\n" if i + 1 < len(cases) else "\n"))
        f.write("]\n")
    errs = sum(1 for r in results.values() if "error" in r)
    print(f"wrote {OUT}: {len(cases)} cases, {errs} errors", file=sys.stderr)


def use_config(work, src):
    """Makes `work` hold the configuration `src` (state and .terraform kept)."""
    for name in os.listdir(work):
        path = os.path.join(work, name)
        if name.startswith(".terraform") or name.startswith("terraform.tfstate"):
            continue
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    for name in os.listdir(src):
        s, d = os.path.join(src, name), os.path.join(work, name)
        if os.path.isdir(s):
            shutil.copytree(s, d)
        else:
            shutil.copy(s, d)


def plan_summary(doc):
    """The changes of a plan document, as sorted lines: resources that do
    something (or move) with their actions, outputs that change."""
    changes = []
    for c in doc.get("resource_changes") or []:
        actions = c["change"]["actions"]
        prev = c.get("previous_address")
        if actions == ["no-op"] and not prev:
            continue
        line = c["address"] + " " + ",".join(actions)
        if prev:
            line += " <- " + prev
        changes.append(line)
    outputs = []
    for name, o in sorted((doc.get("output_changes") or {}).items()):
        if o["actions"] != ["no-op"]:
            outputs.append(name + " " + ",".join(o["actions"]))
    return sorted(changes), outputs


def scenario(name):
    import shlex
    d = os.path.join(PLANS, name)
    work = tempfile.mkdtemp(prefix=f"iac-plan-{name}-")
    steps = []
    for line in open(os.path.join(d, "script"), encoding="utf-8").read().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        verb, n, flags = words[0], words[1], words[2:]
        use_config(work, os.path.join(d, n))
        run(work, "init", "-input=false", "-no-color")
        step = {"step": line}
        r = run(work, "plan", "-input=false", "-no-color", "-out=p.tfplan", *flags)
        step["ok"] = r.returncode == 0
        if step["ok"]:
            doc = json.loads(run(work, "show", "-json", "p.tfplan").stdout)
            step["changes"], step["outputs"] = plan_summary(doc)
            if verb == "apply":
                a = run(work, "apply", "-input=false", "-no-color", "p.tfplan")
                step["ok"] = a.returncode == 0
                values = json.loads(run(work, "output", "-json").stdout or "{}")
                step["values"] = {
                    k: ("(sensitive)" if v.get("sensitive") else v["value"]) for k, v in sorted(values.items())
                }
        steps.append(step)
    return steps


def plans():
    names = sorted(n for n in os.listdir(PLANS) if os.path.isdir(os.path.join(PLANS, n)))
    out = {}
    for name in names:
        out[name] = scenario(name)
        print(f"scenario {name}: {len(out[name])} steps", file=sys.stderr)
    with open(PLANS_OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"wrote {PLANS_OUT}: {len(names)} scenarios", file=sys.stderr)


if len(sys.argv) < 2 or sys.argv[1] == "expressions":
    main()
if len(sys.argv) < 2 or sys.argv[1] == "plans":
    plans()
