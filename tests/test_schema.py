"""The JSON Schema shipped in the package describes every JSON document docverify emits, and rejects what
it should."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from docverify import SCHEMA_VERSION, MRZFormat, MRZFormatError, read_mrz
from docverify.cli import main
from docverify.mrz.generate import build_mrz, random_mrz_data

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "images"
VECTORS = ROOT.parent / "shared" / "mrz-vectors" / "mrz_vectors.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    text = resources.files("docverify").joinpath(f"schemas/docverify-{SCHEMA_VERSION}.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(validator: jsonschema.Draft202012Validator, doc: Any, kind: str) -> None:
    part = {k: v for k, v in validator.schema.items() if k != "oneOf"} | {"$ref": f"#/$defs/{kind}"}
    errors = sorted(validator.evolve(schema=part).iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert not list(validator.iter_errors(doc))  # and the top-level oneOf picks exactly one kind


@pytest.mark.parametrize("mask", [False, True])
def test_check_reports_follow_the_schema(validator: jsonschema.Draft202012Validator, mask: bool) -> None:
    images = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    args = ["check", "--json", "--reference-date", "2026-01-01", *(["--mask-personal-data"] if mask else []), *images]
    result = CliRunner().invoke(main, args)
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == len(images)
    for doc in docs:
        assert_valid(validator, doc, "report")


def test_error_rows_follow_the_schema(validator: jsonschema.Draft202012Validator, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    result = CliRunner().invoke(main, ["check", "--json", str(bad)])
    assert_valid(validator, json.loads(result.stdout), "error_row")
    result = CliRunner().invoke(main, ["mrz", "--json", "NOT AN MRZ"])
    assert_valid(validator, json.loads(result.stdout), "error_row")


def test_mrz_results_follow_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    rng = random.Random(5)
    texts = [build_mrz(random_mrz_data(rng, fmt)) for fmt in MRZFormat if fmt is not MRZFormat.FRA_ID for _ in range(8)]
    texts += [tuple(v["lines"]) for v in json.loads(VECTORS.read_text()) if v.get("lines")]
    assert len(texts) > 100
    checked = 0
    for lines in texts:
        try:
            doc = read_mrz(list(lines), reference_date=dt.date(2026, 1, 1)).to_dict()
        except MRZFormatError:  # non-ICAO layouts in the corpus: their error row is tested above
            continue
        assert_valid(validator, doc, "mrz_result")
        checked += 1
    assert checked > 100


def test_the_schema_rejects_what_it_should(validator: jsonschema.Draft202012Validator) -> None:
    result = CliRunner().invoke(
        main, ["check", "--json", "--reference-date", "2026-01-01", str(SAMPLES / "td3_flatbed.jpg")]
    )
    good = json.loads(result.stdout)
    broken: list[dict[str, Any]] = []
    for path, value in [
        (("verdict",), "maybe"),
        (("score",), 1.5),
        (("schema_version",), "0.9"),
        (("findings",), [{"code": "Not Dotted", "severity": "info"}]),
        (("mrz", "format"), "TD9"),
        (("mrz", "fields", "birth_date"), "12/08/1974"),
        (("engine", "models", "mrz_char"), "not-a-hash"),
    ]:
        doc = copy.deepcopy(good)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        broken.append(doc)
    missing = copy.deepcopy(good)
    del missing["verdict"]
    broken.append(missing)
    for doc in broken:
        assert list(validator.iter_errors(doc)), doc


def test_every_error_kind_the_service_answers_is_in_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    """The kinds of the service's error answers (401 auth, 408, 503, 504, 404, 405 …) validate: the schema's
    enum is read against the kinds service.py can put in an answer."""
    import re

    from docverify import service

    source = Path(service.__file__).read_text(encoding="utf-8")
    kinds = set(re.findall(r'(?:ServiceError|error_response)\(\s*\d+,\s*"([a-z_]+)"', source))
    mapped = re.search(r"kind = \{404: \"(\w+)\", 405: \"(\w+)\"\}\.get\(exc\.status_code, \"(\w+)\"\)", source)
    assert mapped is not None and len(kinds) >= 6
    for kind in kinds | set(mapped.groups()):
        doc = {"schema_version": "1.0", "error": {"kind": kind, "message": "m"}}
        assert_valid(validator, doc, "error_row")
