"""`docverify batch`: one row per input whatever happens (bad files, crashed workers, Ctrl-C, resume), on
local processes and on a two-worker dask cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from docverify.batch import (
    BatchInput,
    BatchOptions,
    InputKeys,
    check_one,
    completed_rows,
    find_inputs,
    rows_for_inputs,
    run_local,
    unmatched_masked,
)
from docverify.cli import main
from docverify.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
SAMPLES = ROOT / "samples" / "images"
GOOD = ["td3_flatbed.jpg", "td1_flatbed.jpg", "td2_rotated_270.jpg"]
REF = "2026-01-01"


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def make_folder(root: Path) -> dict[str, str]:
    """A folder with good samples and every kind of bad input a walk can meet; returns the expected
    outcome per source: a verdict, or ``error``."""
    (root / "nested" / "deeper").mkdir(parents=True)
    expected: dict[str, str] = {}
    for i, name in enumerate(GOOD):
        target = root / ("nested/deeper" if i == 2 else ".") / name
        shutil.copy(SAMPLES / name, target)
        expected[str(target)] = "pass"
    bad = {
        "empty.png": b"",
        "notes.jpg": b"just some text, not an image\n",
        "truncated.jpg": (SAMPLES / "td3_flatbed.jpg").read_bytes()[:2000],
    }
    for name, data in bad.items():
        (root / name).write_bytes(data)
        expected[str(root / name)] = "error"
    (root / "loop1.jpg").symlink_to(root / "loop2.jpg")
    (root / "loop2.jpg").symlink_to(root / "loop1.jpg")
    (root / "broken.pdf").symlink_to(root / "missing.pdf")
    (root / "nested" / "up").symlink_to(root, target_is_directory=True)  # a folder loop: not followed
    for name in ("loop1.jpg", "loop2.jpg", "broken.pdf"):
        expected[str(root / name)] = "error"
    odd = os.fsdecode(b"caf\xe9-scan.jpg")  # a Latin-1 file name: not UTF-8
    shutil.copy(SAMPLES / "td3_flatbed.jpg", root / odd)
    expected[str(root / odd).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")] = "pass"
    (root / "readme.txt").write_text("not an input: wrong extension inside a folder")
    shutil.copy(CORPUS / "seed.heic", root / "IMG_0001.HEIC")  # an iPhone photo: found by its suffix, any case
    expected[str(root / "IMG_0001.HEIC")] = "pass"
    return expected


def test_every_input_gets_exactly_one_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    expected = make_folder(folder)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["batch", str(folder), "--jsonl", str(out), "--workers", "2", "--reference-date", REF, "--no-progress"]
    )
    rows = rows_of(out)
    got = {r["source"]: ("error" if "error" in r else r["verdict"]) for r in rows}
    assert len(rows) == len(expected) == len(got)
    assert got == expected
    messages = {r["source"]: r["error"]["message"] for r in rows if "error" in r}
    assert "symbolic link loop" in messages[str(folder / "loop1.jpg")]
    assert "broken symbolic link" in messages[str(folder / "broken.pdf")]
    assert "empty" in messages[str(folder / "empty.png")]
    assert result.exit_code == 3  # the worst input: unreadable files
    assert "Traceback" not in result.output
    assert "total" in result.stdout and "already done" not in result.stdout


def test_rows_match_docverify_check(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sample = str(SAMPLES / "td1_rotated_330.jpg")
    CliRunner().invoke(main, ["batch", sample, "--jsonl", str(out), "--reference-date", REF, "--workers", "1"])
    single = CliRunner().invoke(main, ["check", "--json", "--reference-date", REF, sample])
    [row] = rows_of(out)
    check = json.loads(single.stdout)
    for doc in (row, check):
        doc.pop("timings_ms")
    assert row == check


def test_globs_and_usage_errors(tmp_path: Path) -> None:
    for name in GOOD:
        shutil.copy(SAMPLES / name, tmp_path / name)
    found = find_inputs([str(tmp_path / "*.jpg"), str(tmp_path / GOOD[0])])
    assert [Path(i.path).name for i in found] == sorted(GOOD)  # no duplicates
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "nothing-*.jpg"), "--jsonl", str(tmp_path / "o")])
    assert result.exit_code == 2 and "matches no file" in result.output
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "absent"), "--jsonl", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no such file" in result.output
    for address in ("garbage", "tcp://", "http://host:80"):  # refused at once, not tried for tens of seconds
        args = ["batch", str(tmp_path / GOOD[0]), "--jsonl", str(tmp_path / "o"), "--scheduler", address]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "not a scheduler address" in result.output, address


def test_resume_skips_done_inputs_and_repairs_a_cut_line(tmp_path: Path) -> None:
    for name in GOOD:
        shutil.copy(SAMPLES / name, tmp_path / name)
    out = tmp_path / "out.jsonl"
    first = {"schema_version": "1.0", "source": str(tmp_path / GOOD[0]), "verdict": "pass", "marker": 1}
    out.write_text(json.dumps(first) + "\n" + '{"schema_version": "1.0", "source": "cut sho')
    result = CliRunner().invoke(
        main, ["batch", str(tmp_path / "*.jpg"), "--jsonl", str(out), "--resume", "--workers", "1", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    rows = rows_of(out)  # every line parses: the cut line is gone
    assert sorted(r["source"] for r in rows) == sorted(str(tmp_path / n) for n in GOOD)
    assert rows[0] == first  # kept, not re-checked
    assert "2 checked" in result.stdout and "1 already done" in result.stdout
    assert {r["source"] for r in completed_rows(out)} == {str(tmp_path / n) for n in GOOD}


def test_masked_rows_are_matched_to_their_inputs_by_key(tmp_path: Path) -> None:
    """A row written with --mask-personal-data names its input with names and numbers masked: it is matched to
    its input through the keys file (a salted HMAC of the name per row, never the name), not by the masked
    name's shape; the file stays its owner's, and a line cut short by an interrupted run is dropped."""
    items = [BatchInput(p, p) for p in ("a/J49938680.jpg", "a/U18317988.jpg", "a/x.jpg")]
    path = tmp_path / "out.jsonl.keys"
    keys = InputKeys.create(path)
    first = {"source": "a/*********.jpg", "verdict": "pass", "n": 1}
    keys.add(first, "a/J49938680.jpg")
    rows = [first, {"source": "a/x.jpg", "verdict": "fail", "n": 2}, {"source": "b/x.jpg", "verdict": "pass", "n": 3}]
    with path.open("a") as fh:
        fh.write("0123abc")  # a key cut short
    path.chmod(0o644)
    loaded = InputKeys.load(path)
    assert loaded is not None and path.read_text().endswith("\n") and path.stat().st_mode & 0o077 == 0
    found = rows_for_inputs(rows, items, loaded)
    assert {k: v["n"] for k, v in found.items()} == {"a/J49938680.jpg": 1, "a/x.jpg": 2}
    assert rows_for_inputs(rows, items) == {"a/x.jpg": rows[1]}  # without the keys: the exact names only
    assert unmatched_masked(rows, None) == 1 and unmatched_masked(rows, loaded) == 0
    assert "J49938680" not in path.read_text() and len(path.read_text().splitlines()) == 2
    again = [{"source": "a/x.jpg", "n": 6}, {"source": "a/x.jpg", "n": 7}]
    assert rows_for_inputs(again, items)["a/x.jpg"]["n"] == 7  # the last row of an input checked twice
    (tmp_path / "bad.keys").write_text("not keys\n")
    with pytest.raises(ValueError, match=r"bad\.keys is not a docverify keys file"):
        InputKeys.load(tmp_path / "bad.keys")
    named = tmp_path / "NEANWIN.jpg"  # the holder's surname
    shutil.copy(SAMPLES / GOOD[0], named)
    row, _ = check_one(BatchInput(str(named), str(named)), BatchOptions(reference_date=REF, mask_personal_data=True))
    assert "_input" not in row and row["source"] == str(tmp_path / "*******.jpg")  # no real name in a caller's rows


def test_masked_batch_hides_names_in_file_names_and_still_resumes(tmp_path: Path) -> None:
    """With --mask-personal-data a row's source is masked as `check --json --mask-personal-data` masks it, in the
    rows and the report; --resume still knows which inputs are done, also where masked names look alike, and a
    new file of the same pattern is checked."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "td3_flatbed.jpg", folder / "J49938680.jpg")  # files named by their document number
    shutil.copy(SAMPLES / "td1_phone.jpg", folder / "U18317988.jpg")
    shutil.copy(SAMPLES / "td2_rotated_270.jpg", folder / "FIZARRA-scan.jpg")
    out, report = tmp_path / "out.jsonl", tmp_path / "report.html"
    args = ["batch", str(folder), "--jsonl", str(out), "--report", str(report), "--mask-personal-data"]
    args += ["--workers", "1", "--no-progress", "--reference-date", REF]
    first = CliRunner().invoke(main, args)
    assert first.exit_code in (0, 1), first.output
    rows = rows_of(out)
    checked = CliRunner().invoke(
        main, ["check", "--json", "--mask-personal-data", "--reference-date", REF, str(folder / "J49938680.jpg")]
    )
    assert json.loads(checked.stdout)["source"] in [r["source"] for r in rows]
    assert sorted(Path(r["source"]).name for r in rows) == sorted(
        ["*******-scan.jpg", "*********.jpg", "*********.jpg"]
    )
    html = report.read_text()
    for secret in ("J49938680", "U18317988", "FIZARRA", "NEANWIN"):
        assert secret not in out.read_text() and secret not in html, secret
    assert html.count("data:image/jpeg") == 6  # a thumbnail and an annotated image for each of the three
    keep = next(r for r in rows if "scan" in r["source"])
    out.write_text(
        json.dumps(keep)
        + "\n"
        + json.dumps(next(r for r in rows if r is not keep and "scan" not in r["source"]))
        + "\n"
    )
    resumed = CliRunner().invoke(main, [*args, "--resume"])
    assert resumed.exit_code == first.exit_code, resumed.output
    assert "1 checked" in resumed.stdout and "2 already done" in resumed.stdout
    assert len(rows_of(out)) == 3 and report.read_text().count("data:image/jpeg") == 6
    (folder / "J49938680.jpg").unlink()  # an inbox: a document taken out, an unreadable one of the pattern in
    (folder / "X00000000.jpg").write_bytes(b"not an image")
    inbox = CliRunner().invoke(main, [*args, "--resume"])
    assert "1 checked" in inbox.stdout and inbox.exit_code == ExitCode.UNREADABLE, inbox.output
    unmasked = [a for a in args if a != "--mask-personal-data"]
    refused = CliRunner().invoke(main, [*unmasked, "--resume"])  # would add real names to a masked file
    assert refused.exit_code == ExitCode.USAGE and "resume with --mask-personal-data" in refused.output
    Path(f"{out}.keys").unlink()
    lost = CliRunner().invoke(main, [*args, "--resume"])  # the masked rows' inputs can no longer be known
    assert lost.exit_code == ExitCode.USAGE and "no key" in lost.output
    both = CliRunner().invoke(main, [*args, "--show-personal-data"])
    assert both.exit_code == 2 and "contradict" in both.output


def test_resume_refuses_a_file_that_is_not_a_batch_output(tmp_path: Path) -> None:
    """A line before the last that is not a row: truncating there would lose the rows after it (or a whole
    file that was never a batch's output), so --resume refuses and leaves the file as it is."""
    shutil.copy(SAMPLES / GOOD[0], tmp_path / GOOD[0])
    row = json.dumps({"schema_version": "1.0", "source": "elsewhere.jpg", "verdict": "pass"}) + "\n"
    for content in (row + "garbage\n" + row, bytes(range(256)) * 4):
        out = tmp_path / "out.jsonl"
        out.write_bytes(content.encode() if isinstance(content, str) else content)
        before = out.read_bytes()
        result = CliRunner().invoke(
            main, ["batch", str(tmp_path / GOOD[0]), "--jsonl", str(out), "--resume", "--workers", "1"]
        )
        assert result.exit_code == 2 and "cannot be resumed" in result.output
        assert out.read_bytes() == before


def test_outputs_that_would_overwrite_an_input_are_refused(tmp_path: Path) -> None:
    for name in GOOD:
        shutil.copy(SAMPLES / name, tmp_path / name)
    before = {name: (tmp_path / name).read_bytes() for name in GOOD}
    for extra in (
        ["--jsonl", str(tmp_path / GOOD[0])],
        ["--jsonl", str(tmp_path / "o.jsonl"), "--report", str(tmp_path / GOOD[1])],
    ):
        result = CliRunner().invoke(main, ["batch", str(tmp_path), *extra, "--workers", "1"])
        assert result.exit_code == 2 and "is one of the inputs" in result.output
    assert {name: (tmp_path / name).read_bytes() for name in GOOD} == before


def crash_on_marked(item: BatchInput, options: BatchOptions) -> Any:
    """A task that kills its worker process on inputs whose name contains 'crash'."""
    if "crash" in item.path:
        os._exit(1)
    return check_one(item, options)


def test_a_crashing_input_gets_an_error_row_and_the_others_survive(tmp_path: Path) -> None:
    items = []
    for i in range(6):
        name = f"crash-{i}.jpg" if i == 3 else f"doc-{i}.jpg"
        shutil.copy(SAMPLES / GOOD[i % 3], tmp_path / name)
        items.append(BatchInput(str(tmp_path / name), str(tmp_path / name)))
    options = BatchOptions(reference_date=REF)
    results = list(run_local(items, options, workers=2, task=crash_on_marked))
    rows = {r["source"]: r for r, _ in results}
    assert len(results) == len(items) == len(rows)
    crashed = rows[str(tmp_path / "crash-3.jpg")]
    assert crashed["error"] == {"kind": "internal", "message": "the worker checking this input crashed"}
    assert all(r["verdict"] == "pass" for s, r in rows.items() if "crash" not in s)


def test_interrupt_leaves_a_valid_file_and_resume_finishes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    n = 40
    for i in range(n):
        shutil.copy(SAMPLES / GOOD[i % 3], folder / f"doc-{i:02d}.jpg")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "docverify", "batch", str(folder), "--jsonl", str(out), "--workers", "2"]
    # Ctrl-C as from a terminal: a test run started in the background (`cmd &` in a script) has SIGINT
    # ignored, which a child inherits and Python keeps, so the child would never see it. A handler (not
    # SIG_IGN) in this process is reset to the default in the child.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([*cmd, "--reference-date", REF], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr and b"--resume" in stderr
    partial = rows_of(out)  # every line is complete JSON
    assert 3 <= len(partial) < n
    done = subprocess.run([*cmd, "--resume", "--no-progress"], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = rows_of(out)
    assert len(rows) == n and len({r["source"] for r in rows}) == n


def test_dask_cluster_gives_the_same_rows(tmp_path: Path) -> None:
    import distributed

    for name in GOOD:
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "bad.jpg").write_bytes(b"\x00" * 10)
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    args = ["--reference-date", REF, "--no-progress"]
    CliRunner().invoke(main, ["batch", str(tmp_path / "*.jpg"), "--jsonl", str(local), "--workers", "1", *args])
    with distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        pattern = str(tmp_path / "*.jpg")
        cmd = [sys.executable, "-m", "docverify", "batch", pattern, "--jsonl", str(remote)]
        result = subprocess.run(
            [*cmd, "--scheduler", cluster.scheduler_address, *args],
            capture_output=True,
            timeout=180,
            check=False,
        )
    assert result.returncode == 3, result.stderr.decode()  # bad.jpg is unreadable

    def strip(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {r["source"]: {k: v for k, v in r.items() if k != "timings_ms"} for r in rows}

    assert strip(rows_of(remote)) == strip(rows_of(local))
    assert len(rows_of(remote)) == 4


def test_report_covers_resumed_and_new_rows(tmp_path: Path) -> None:
    for name in GOOD:
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
    out, report = tmp_path / "out.jsonl", tmp_path / "report.html"
    args = ["--jsonl", str(out), "--report", str(report), "--reference-date", REF, "--workers", "1", "--no-progress"]
    CliRunner().invoke(main, ["batch", str(tmp_path / GOOD[0]), *args])
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "*.jpg"), "--resume", *args])
    assert result.exit_code == 3, result.output
    html = report.read_text(encoding="utf-8")
    assert html.count('class="doc-row') == 4
    assert html.count('class="thumb') == 3  # the resumed row kept its evidence; the broken file has none
    surname = next(r for r in rows_of(out) if r["source"].endswith(GOOD[0]))["mrz"]["fields"]["surname"]
    assert f">{surname}<" not in html  # masked by default
    CliRunner().invoke(main, ["batch", str(tmp_path / "*.jpg"), "--resume", "--show-personal-data", *args])
    assert f">{surname}<" in report.read_text(encoding="utf-8")


def test_a_feeder_thread_cut_off_by_the_shutdown_prints_no_traceback() -> None:
    # On Ctrl-C the pool is torn down while its queue feeder may still write into a closed pipe.
    import threading

    from docverify import batch as batch_module

    seen: list[tuple[str, type[BaseException]]] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: seen.append((args.thread.name if args.thread else "", args.exc_type))
    try:
        batch_module._quiet_feeder_threads()
        batch_module._quiet_feeder_threads()  # installed once

        def fail(exc: BaseException) -> None:
            raise exc

        for name, exc in (("QueueFeederThread", OSError(9, "Bad file descriptor")), ("other", ValueError("x"))):
            t = threading.Thread(target=fail, args=(exc,), name=name)
            t.start()
            t.join()
    finally:
        threading.excepthook = previous
    assert seen == [("other", ValueError)]  # the feeder's expected error kept out of sight, any other shown
