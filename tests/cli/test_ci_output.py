"""``lrguard check`` in CI: SARIF 2.1.0, ``--exit-zero``, ``--statistics``, ``-o``, ``-q``,
and ``-`` (stdin) with ``--stdin-filename``.

No installed package ships the SARIF 2.1.0 JSON schema, so ``SARIF_2_1_0`` below writes out
the part of it lrguard's output uses, from the OASIS SARIF 2.1.0 specification (section 3:
required properties, types, enumerations, ``additionalProperties: false`` as in the
published schema) and validates against it with ``jsonschema`` (formats included) where it
is installed, and always with ``_errors``, a small checker of the keywords it uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from lrguard import __version__
from lrguard.rules import get_rule
from tests.cli.conftest import ROOT

ERRORS = """\
learning_rate: "1e-5"
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr: 1.0e-4
  power: "2e-1"
warmup_steps: 10
max_steps: 100
"""
"""LRG004 on lines 1 and 5, LRG002 (error) on line 4, LRG005 (error) on line 5."""
INFO_ONLY = "num_train_epochs: 1\nwarmup_steps: 500\nlearning_rate: 1.0e-5\n"
"""LRG030 (info) on line 2."""
CLEAN = "learning_rate: 2.0e-5\nlr_scheduler_type: cosine\nwarmup_steps: 10\nmax_steps: 500\n"
BROKEN = "learning_rate: [1\nfoo: 2\n"

_TEXT = {"type": "string"}
_MULTIFORMAT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": _TEXT, "markdown": _TEXT, "properties": {"type": "object"}},
    "additionalProperties": False,
}
_MESSAGE = {
    "type": "object",
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    "properties": {
        "text": _TEXT,
        "markdown": _TEXT,
        "id": _TEXT,
        "arguments": {"type": "array", "items": _TEXT},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_LOCATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "physicalLocation": {
            "type": "object",
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
            "properties": {
                "address": {"type": "object"},
                "artifactLocation": {
                    "type": "object",
                    "properties": {
                        "uri": {"type": "string", "format": "uri-reference"},
                        "uriBaseId": _TEXT,
                        "index": {"type": "integer", "minimum": -1},
                        "description": _MESSAGE,
                        "properties": {"type": "object"},
                    },
                    "additionalProperties": False,
                },
                "region": {
                    "type": "object",
                    "properties": {
                        "startLine": {"type": "integer", "minimum": 1},
                        "startColumn": {"type": "integer", "minimum": 1},
                        "endLine": {"type": "integer", "minimum": 1},
                        "endColumn": {"type": "integer", "minimum": 1},
                        "message": _MESSAGE,
                        "properties": {"type": "object"},
                    },
                    "additionalProperties": False,
                },
                "contextRegion": {"type": "object"},
                "properties": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "logicalLocations": {"type": "array"},
        "message": _MESSAGE,
        "annotations": {"type": "array"},
        "relationships": {"type": "array"},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
_DESCRIPTOR = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": _TEXT,
        "deprecatedIds": {"type": "array"},
        "guid": _TEXT,
        "name": _TEXT,
        "shortDescription": _MULTIFORMAT,
        "fullDescription": _MULTIFORMAT,
        "messageStrings": {"type": "object"},
        "defaultConfiguration": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "level": _LEVEL,
                "rank": {"type": "number", "minimum": -1, "maximum": 100},
                "parameters": {"type": "object"},
                "properties": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "helpUri": {"type": "string", "format": "uri"},
        "help": _MULTIFORMAT,
        "relationships": {"type": "array"},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
_DRIVER = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _TEXT,
        "fullName": _TEXT,
        "version": _TEXT,
        "semanticVersion": _TEXT,
        "informationUri": {"type": "string", "format": "uri"},
        "rules": {"type": "array", "items": _DESCRIPTOR, "uniqueItems": True},
        "notifications": {"type": "array", "items": _DESCRIPTOR},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
_RESULT = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "ruleId": _TEXT,
        "ruleIndex": {"type": "integer", "minimum": -1},
        "rule": {"type": "object"},
        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
        "level": _LEVEL,
        "message": _MESSAGE,
        "locations": {"type": "array", "items": _LOCATION},
        "fixes": {"type": "array"},
        "partialFingerprints": {"type": "object"},
        "fingerprints": {"type": "object"},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
_INVOCATION = {
    "type": "object",
    "required": ["executionSuccessful"],
    "properties": {
        "executionSuccessful": {"type": "boolean"},
        "exitCode": {"type": "integer"},
        "commandLine": _TEXT,
        "toolExecutionNotifications": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message"],
                "properties": {
                    "locations": {"type": "array", "items": _LOCATION},
                    "message": _MESSAGE,
                    "level": _LEVEL,
                    "descriptor": {"type": "object"},
                    "properties": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}
SARIF_2_1_0 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": _DRIVER,
                            "extensions": {"type": "array"},
                            "properties": {"type": "object"},
                        },
                        "additionalProperties": False,
                    },
                    "invocations": {"type": "array", "items": _INVOCATION},
                    "results": {"type": ["array", "null"], "items": _RESULT},
                    "originalUriBaseIds": {"type": "object"},
                    "properties": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
        "inlineExternalProperties": {"type": "array"},
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _errors(value: object, schema: dict, where: str = "") -> list[str]:
    """The keywords ``SARIF_2_1_0`` uses, checked without jsonschema (which some
    environments lack): type, enum, required, anyOf, properties, additionalProperties,
    items, uniqueItems, minimum, maximum. ``format`` is left to jsonschema."""
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        ok = any(
            isinstance(value, _TYPES[n])
            and not (n in ("integer", "number") and value is True)
            and not (n in ("integer", "number") and value is False)
            for n in names
        )
        if not ok:
            return [f"{where}: {value!r} is not of type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: {value} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: {value} is more than {schema['maximum']}")
    if isinstance(value, dict):
        found += [
            f"{where}: {k!r} is required" for k in schema.get("required", ()) if k not in value
        ]
        if "anyOf" in schema and all(_errors(value, option, where) for option in schema["anyOf"]):
            found.append(f"{where}: matches none of anyOf")
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                found += _errors(item, properties[key], f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: additional property {key!r}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += _errors(item, schema.get("items", {}), f"{where}[{index}]")
        if schema.get("uniqueItems"):
            texts = [json.dumps(item, sort_keys=True) for item in value]
            if len(set(texts)) != len(texts):
                found.append(f"{where}: items are not unique")
    return found


def _validate(doc: dict) -> None:
    """Validate ``doc`` against ``SARIF_2_1_0``: with jsonschema (formats too) where it is
    installed, and always with ``_errors``."""
    found = _errors(doc, SARIF_2_1_0)
    try:
        import jsonschema
    except ModuleNotFoundError:
        jsonschema = None
    if jsonschema is not None:
        validator = jsonschema.Draft7Validator(
            SARIF_2_1_0, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
        )
        found += [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert not found, found


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in ``tmp_path`` (SARIF URIs are relative to the working folder)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _configs(folder: Path) -> None:
    (folder / "configs").mkdir()
    (folder / "configs" / "errors.yaml").write_text(ERRORS)
    (folder / "configs" / "info only.yaml").write_text(INFO_ONLY)
    (folder / "configs" / "clean.yaml").write_text(CLEAN)
    (folder / "configs" / "broken.yaml").write_text(BROKEN)
    (folder / "configs" / "data.json").write_text('[{"text": "a"}]')


def test_sarif_is_valid_2_1_0_and_matches_the_json_output(run, in_tmp):
    _configs(in_tmp)
    code, out, err = run("check", "configs", "--output-format", "sarif")
    assert code == 2 and err == ""  # broken.yaml is unusable
    doc = json.loads(out)
    _validate(doc)
    _, json_out, _ = run("check", "configs", "--format", "json")
    expected = [
        (f["code"], f["severity"], f["line"], file["path"])
        for file in json.loads(json_out)["files"]
        for f in file["findings"]
    ]
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "lrguard" and driver["version"] == __version__
    assert "informationUri" not in driver  # the project has no public URL
    rules = driver["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    got = []
    for result in run_["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and " " not in uri
        assert (in_tmp / unquote(uri)).is_file()
        severity = next(k for k, v in levels.items() if v == result["level"])
        got.append((result["ruleId"], severity, physical["region"]["startLine"], unquote(uri)))
    assert sorted(got) == sorted(expected)
    assert {"LRG002", "LRG004", "LRG005", "LRG030"} <= {g[0] for g in got}
    assert {g[1] for g in got} == {"error", "warning", "info"}
    assert ("LRG002", "error", 4, "configs/errors.yaml") in got
    for rule in rules:
        documented = get_rule(rule["id"])
        assert rule["name"] == documented.name
        assert rule["shortDescription"]["text"] == documented.summary
        assert rule["help"]["text"] == documented.explain()
        assert documented.fix.strip() in rule["help"]["text"]
    assert len({r["id"] for r in rules}) == len(rules)
    notes = run_["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "configs/broken.yaml"
    ]
    assert "invalid YAML" in notes[0]["message"]["text"]


def test_sarif_of_a_clean_run_is_valid_with_no_results(run, in_tmp):
    (in_tmp / "clean.yaml").write_text(CLEAN)
    code, out, _ = run("check", "clean.yaml", "--format", "sarif")
    doc = json.loads(out)
    _validate(doc)
    assert code == 0 and doc["runs"][0]["results"] == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["runs"][0]["results"][0].update(level="info"),
        lambda d: d["runs"][0]["results"][0].pop("message"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"].update(
            region={"startLine": 0}
        ),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].update(helpText="x"),
        lambda d: d.update(version="2.0.0"),
    ],
)
def test_the_schema_rejects_what_sarif_forbids(run, in_tmp, damage):
    """The written-out schema is strict enough to catch a wrong level, a missing message,
    line 0, a driver without a name, an unknown property, a wrong version."""
    (in_tmp / "errors.yaml").write_text(ERRORS)
    _, out, _ = run("check", "errors.yaml", "--output-format", "sarif")
    doc = json.loads(out)
    _validate(doc)
    damage(doc)
    with pytest.raises(AssertionError):
        _validate(doc)


def test_sarif_uri_outside_the_working_folder_is_a_file_uri(run, tmp_path, monkeypatch):
    config = tmp_path / "a" / "errors.yaml"
    config.parent.mkdir()
    config.write_text(ERRORS)
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    _, out, _ = run("check", config, "--format", "sarif")
    doc = json.loads(out)
    _validate(doc)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert uris == {config.as_uri()}


def test_format_and_output_format_are_the_same_option(run, in_tmp):
    (in_tmp / "errors.yaml").write_text(ERRORS)
    outputs = {
        run("check", "errors.yaml", opt, "github")[1] for opt in ("--format", "--output-format")
    }
    assert len(outputs) == 1 and "::error" in outputs.pop()


def test_exit_zero_keeps_findings_but_not_unusable_input(run, in_tmp):
    (in_tmp / "errors.yaml").write_text(ERRORS)
    (in_tmp / "broken.yaml").write_text(BROKEN)
    assert run("check", "errors.yaml")[0] == 1
    code, out, _ = run("check", "errors.yaml", "--exit-zero")
    assert code == 0 and "LRG002 [error]" in out
    assert run("check", "errors.yaml", "--strict", "--exit-zero")[0] == 0
    assert run("check", "errors.yaml", "broken.yaml", "--exit-zero")[0] == 2


def test_statistics_count_per_code(run, in_tmp):
    _configs(in_tmp)
    code, out, _ = run("check", "configs", "--statistics")
    assert code == 2
    _, json_out, _ = run("check", "configs", "--format", "json")
    by_code = json.loads(json_out)["summary"]["by_code"]
    lines = out.splitlines()
    assert lines[-1].startswith("lrguard: 3 config(s) checked")
    assert lines[0].startswith("configs/broken.yaml: unusable: invalid YAML")
    rows = [line.split() for line in lines[1:-1]]
    assert {row[1]: int(row[0]) for row in rows} == by_code
    assert by_code["LRG004"] == 2
    counts = [int(row[0]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    assert ["2", "LRG004", "[warning]", "number-as-string"] in rows
    assert ["1", "LRG002", "[error]", "min-not-below-peak"] in rows
    _, quiet, _ = run("check", "configs", "--statistics", "-q")
    assert quiet.splitlines() == lines[:-1]
    _, as_json, _ = run("check", "configs", "--statistics", "--format", "json")
    records = json.loads(as_json)
    assert {r["code"]: r["count"] for r in records} == by_code
    assert {r["code"]: r["severity"] for r in records}["LRG005"] == "error"


def test_quiet_drops_only_the_summary_line(run, in_tmp):
    (in_tmp / "errors.yaml").write_text(ERRORS)
    (in_tmp / "clean.yaml").write_text(CLEAN)
    code, loud, _ = run("check", "errors.yaml")
    quiet_code, quiet, _ = run("check", "errors.yaml", "--quiet")
    assert code == quiet_code == 1
    assert quiet.splitlines() == loud.splitlines()[:-1] and "LRG002" in quiet
    assert run("check", "clean.yaml", "-q") == (0, "", "")


def test_output_file_gets_the_output(run, in_tmp):
    (in_tmp / "errors.yaml").write_text(ERRORS)
    _, printed, _ = run("check", "errors.yaml", "--format", "sarif")
    code, out, err = run("check", "errors.yaml", "--format", "sarif", "-o", "report.sarif")
    assert (code, out, err) == (1, "", "")
    assert (in_tmp / "report.sarif").read_text() == printed


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("configs/errors.yaml", "is an input file"),
        ("configs", "is a folder"),
        ("missing/out.txt", "does not exist"),
    ],
)
def test_output_file_never_replaces_a_config(run, in_tmp, target, message):
    (in_tmp / "configs").mkdir()
    config = in_tmp / "configs" / "errors.yaml"
    config.write_text(ERRORS)
    for inputs in (["configs/errors.yaml"], ["configs"]):
        code, out, err = run("check", *inputs, "-o", target)
        assert code == 2 and out == "" and message in err and "Traceback" not in err
        assert config.read_text() == ERRORS


def _stdin(args: list[str], text: str | bytes, cwd: Path) -> subprocess.CompletedProcess:
    data = text.encode() if isinstance(text, str) else text
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lrguard", "check", *args, "--no-config"],
        input=data,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_stdin_named_by_stdin_filename(tmp_path):
    yaml_run = _stdin(["-", "--stdin-filename", "configs/train.yaml"], ERRORS, tmp_path)
    assert yaml_run.returncode == 1, yaml_run.stderr
    assert "configs/train.yaml:4: LRG002 [error]" in yaml_run.stdout.decode()
    # unquoted 1e-5: a number in JSON, a string in YAML 1.1: the name decides the reader
    text = '{"learning_rate": 1e-5, "warmup_steps": 10, "max_steps": 100}'
    as_json = _stdin(["-", "--stdin-filename", "run.json", "--format", "json"], text, tmp_path)
    as_yaml = _stdin(["-", "--stdin-filename", "run.yaml", "--format", "json"], text, tmp_path)
    json_file, yaml_file = (json.loads(r.stdout)["files"][0] for r in (as_json, as_yaml))
    assert (json_file["path"], json_file["status"]) == ("run.json", "checked")
    assert (json_file["findings"], as_json.returncode) == ([], 0)
    assert [f["code"] for f in yaml_file["findings"]] == ["LRG004"]
    unnamed = _stdin(["-"], CLEAN, tmp_path)
    assert unnamed.returncode == 0 and "1 config(s) checked" in unnamed.stdout.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_stdin_together_with_files_and_bad_stdin(tmp_path):
    (tmp_path / "clean.yaml").write_text(CLEAN)
    both = _stdin(["clean.yaml", "-", "--stdin-filename", "e.yaml"], ERRORS, tmp_path)
    assert both.returncode == 1 and "2 config(s) checked" in both.stdout.decode()
    binary = _stdin(["-", "--stdin-filename", "x.yaml"], b"learning_rate: 1\x00\x00", tmp_path)
    assert binary.returncode == 0 and "Traceback" not in binary.stderr.decode()
    broken = _stdin(["-", "--stdin-filename", "x.yaml"], BROKEN, tmp_path)
    assert broken.returncode == 2 and "x.yaml: unusable" in broken.stdout.decode()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["clean.yaml", "--stdin-filename", "a.yaml"], "also pass - as a path"),
        (["-", "-"], "more than once"),
        (["-", "--stdin-filename", " "], "--stdin-filename is empty"),
    ],
)
def test_stdin_usage_errors(run, in_tmp, argv, message):
    (in_tmp / "clean.yaml").write_text(CLEAN)
    code, out, err = run("check", *argv)
    assert code == 2 and out == "" and message in err


def test_text_check_imports_neither_sarif_nor_suppressions(tmp_path):
    (tmp_path / "clean.yaml").write_text(CLEAN)
    probe = (
        "import sys; from lrguard.cli import main; main(['check', 'clean.yaml', '-q']); "
        "print(sorted(m for m in sys.modules if m in ('lrguard.sarif', 'lrguard.suppressions',"
        " 'tempfile', 'jsonschema')))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert done.stdout.decode().strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_stdin_from_a_terminal_is_refused_not_awaited(tmp_path):
    primary, secondary = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lrguard", "check", "-", "--no-config"],
            stdin=secondary,
            capture_output=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 2 and b"stdin is a terminal" in done.stderr
