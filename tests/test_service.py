"""The HTTP service (``docverify serve``) against real servers on localhost.

One server runs as ``python -m docverify serve`` in a subprocess for most tests (small limits so that the
limits can be reached quickly; its log is read at the end); servers with a slow or failing OCR engine run
in a thread of this process (``create_app(engines=...)``), so that timeouts and internal errors happen
deterministically. Every client here is the standard library's, and every socket is closed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import http.client
import json
import logging
import os
import random
import re
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import pytest
import uvicorn
from click.testing import CliRunner

import docverify
from badinputs import IMAGE_CASES, MRZ_CASES, MRZ_REFERENCE_DATE, REFERENCE_DATE, BadInput
from docverify.cli import main
from docverify.config import MIB, Limits
from docverify.errors import DependencyError
from docverify.exitcodes import ExitCode
from docverify.mrz.locate import LineCrop
from docverify.mrz.recognizer import CellRecognizer, model_hashes
from docverify.ocr import Glyph
from docverify.pipeline import Verifier, VerifierConfig
from docverify.service import ServiceSettings, create_app

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "samples" / "images"
TD3 = IMAGES / "td3_flatbed.jpg"
MRZ_TEXT = (REPO / "samples" / "mrz" / "td3_utopia.txt").read_text()
REF = "2026-01-01"
KEY = "kiosk-key-7f3a9c"
UPLOAD_NAME = "NEANWIN-J49938680.jpg"  # an upload's file name carries personal data: it must never be logged
HOST = "127.0.0.1"


def _truth(file: str) -> dict[str, Any]:
    for line in (IMAGES / "ground_truth.jsonl").read_text().splitlines():
        row: dict[str, Any] = json.loads(line)
        if row["file"] == file:
            return row
    raise LookupError(file)


# --- clients ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
) -> Answer:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def multipart(data: bytes, filename: str = UPLOAD_NAME, field: str = "file") -> tuple[bytes, str]:
    boundary = "docverify-test-boundary-4d1c"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def raw_exchange(port: int, head: bytes, body: Sequence[bytes] = (), timeout: float = 20.0) -> int | None:
    """Send a hand-made request (``Connection: close``), keep sending its body while the server reads it,
    and return the status of the answer (``None`` when there was none)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            for chunk in body:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed: its answer is still to be read
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data.split(b" ", 2)[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, key: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(key)


# --- servers ---------------------------------------------------------------------------------------------


class Subprocess:
    """``python -m docverify serve`` on a free port, its stdout and stderr in ``log``."""

    def __init__(self, args: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> None:
        self.log = log
        self.port = free_port()
        self._out: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "docverify", "serve", "--port", str(self.port), *args],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {log.read_text()}")
            with contextlib.suppress(OSError):
                if call(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not come up: {log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()


@contextlib.contextmanager
def thread_server(settings: ServiceSettings, engines: Mapping[str, Any]) -> Iterator[int]:
    """``create_app(settings, engines=engines)`` served by uvicorn in a thread; yields the port."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(settings, engines=engines), log_config=None, access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the in-thread server did not start"
            time.sleep(0.05)
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subprocess]:
    """One check at a time, 2 waiting at most for 0.3 s, 1 MiB uploads, 1.5 s to send a body, an API key."""
    folder = tmp_path_factory.mktemp("service")
    key_file = folder / "api-key"
    key_file.write_text(KEY + "\n")
    args = ["--max-concurrency", "1", "--queue-timeout", "0.3", "--max-upload-mb", "1", "--body-timeout", "1.5"]
    srv = Subprocess([*args, "--api-key-file", str(key_file)], folder / "server.log", env={"DOCVERIFY_MAX_QUEUE": "2"})
    yield srv
    srv.stop()


AUTH = {"X-API-Key": KEY}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def expected_report(data: bytes, name: str, *, mask: bool = False) -> dict[str, Any]:
    config = VerifierConfig(reference_date=dt.date.fromisoformat(REF), limits=Limits(max_bytes=MIB))
    report: dict[str, Any] = Verifier(config=config).verify(data, name=name).to_dict(mask_personal_data=mask)
    report.pop("timings_ms")
    return report


def without_timings(report: dict[str, Any]) -> dict[str, Any]:
    assert set(report["timings_ms"]) >= {"load", "mrz", "total"}
    return {k: v for k, v in report.items() if k != "timings_ms"}


# --- endpoints -------------------------------------------------------------------------------------------


def test_healthz_needs_no_key_and_version_names_models(server: Subprocess) -> None:
    health = call(server.port, "GET", "/healthz")
    assert health.status == 200
    assert health.json()["status"] == "ok" and health.json()["capacity"] == 1
    assert len(health.headers["x-request-id"]) == 16
    version = call(server.port, "GET", "/v1/version", headers=AUTH)
    assert version.status == 200
    body = version.json()
    assert body["docverify"] == docverify.__version__
    assert body["schema_version"] == docverify.SCHEMA_VERSION
    assert body["models"] == model_hashes() and body["models"]
    assert body["engine"]["default_ocr"] == "model"
    assert body["limits"]["max_upload_bytes"] == MIB


def test_openapi_describes_both_request_bodies(server: Subprocess) -> None:
    spec = call(server.port, "GET", "/openapi.json", headers=AUTH).json()
    assert {"/v1/check", "/v1/mrz", "/healthz", "/v1/version"} <= set(spec["paths"])
    check = spec["paths"]["/v1/check"]["post"]
    content = check["requestBody"]["content"]
    assert "file" in content["multipart/form-data"]["schema"]["properties"]
    assert {"image/jpeg", "application/pdf", "application/octet-stream"} <= set(content)
    assert {p["name"] for p in check["parameters"]} == {
        "reference_date",
        "ocr",
        "mask_personal_data",
        "viz",
        "region_warnings",
        "mrz_only",
    }
    assert {"200", "413", "422", "503", "504"} <= set(check["responses"])
    mrz_content = set(spec["paths"]["/v1/mrz"]["post"]["requestBody"]["content"])
    assert {"text/plain", "application/json", "multipart/form-data", "application/x-www-form-urlencoded"} <= mrz_content


def test_check_multipart_and_raw_give_the_report_of_verify(server: Subprocess) -> None:
    data = TD3.read_bytes()
    body, ctype = multipart(data)
    upload = call(server.port, "POST", f"/v1/check?reference_date={REF}", body, {**AUTH, "Content-Type": ctype})
    assert upload.status == 200, upload.body
    assert without_timings(upload.json()) == expected_report(data, UPLOAD_NAME)
    assert upload.json()["verdict"] == "pass"

    raw = call(server.port, "POST", f"/v1/check?reference_date={REF}", data, {**AUTH, "Content-Type": "image/jpeg"})
    assert raw.status == 200
    assert without_timings(raw.json()) == expected_report(data, "upload")

    masked = call(server.port, "POST", f"/v1/check?reference_date={REF}&mask_personal_data=true", data, AUTH)
    assert masked.status == 200
    assert without_timings(masked.json()) == expected_report(data, "upload", mask=True)
    assert _truth("td3_flatbed.jpg")["mrz_data"]["surname"] not in masked.body.decode()

    compared = call(server.port, "POST", f"/v1/check?reference_date={REF}&viz=true", data, AUTH)
    assert compared.status == 200 and "viz" in compared.json()["timings_ms"]
    assert compared.json()["timings_ms"]["viz"] > 0 and raw.json()["timings_ms"]["viz"] == 0

    strict = call(server.port, "POST", f"/v1/check?reference_date={REF}&region_warnings=true", data, AUTH)
    assert strict.status == 200 and strict.json()["verdict"] == raw.json()["verdict"]
    assert "regions" in strict.json()["timings_ms"]

    quick = call(server.port, "POST", f"/v1/check?reference_date={REF}&mrz_only=true", data, AUTH)
    assert quick.status == 200 and quick.json()["engine"]["checks"] == ["mrz"]
    assert quick.json()["mrz"] == raw.json()["mrz"] and quick.json()["timings_ms"]["print"] == 0
    assert raw.json()["engine"]["checks"] == ["mrz", "print", "regions"]


def test_phone_formats_are_accepted(server: Subprocess) -> None:
    """An iPhone's HEIC and an AVIF upload give the report of ``verify`` on the same bytes."""
    corpus = Path(__file__).resolve().parent / "corpus"
    for name, media in (("seed.heic", "image/heic"), ("seed.avif", "image/avif")):
        data = (corpus / name).read_bytes()
        raw = call(server.port, "POST", f"/v1/check?reference_date={REF}", data, {**AUTH, "Content-Type": media})
        assert raw.status == 200, (name, raw.body)
        assert without_timings(raw.json()) == expected_report(data, "upload")
        assert raw.json()["verdict"] == "pass", name


def test_mrz_text_json_and_malformed(server: Subprocess) -> None:
    ref = dt.date(2024, 1, 1)
    text = call(server.port, "POST", "/v1/mrz?reference_date=2024-01-01", MRZ_TEXT.encode(), AUTH)
    assert text.status == 200
    assert text.json() == docverify.read_mrz(MRZ_TEXT, reference_date=ref).to_dict()
    lines = MRZ_TEXT.split()
    as_json = {**AUTH, "Content-Type": "application/json"}
    for doc in ({"lines": lines}, {"text": MRZ_TEXT}):
        answer = call(server.port, "POST", "/v1/mrz?reference_date=2024-01-01", json.dumps(doc).encode(), as_json)
        assert answer.status == 200
        assert answer.json() == docverify.read_mrz(lines, reference_date=ref).to_dict()
    noisy = (REPO / "samples" / "mrz" / "td3_ocr_noisy.txt").read_text()
    strict = call(server.port, "POST", "/v1/mrz?repair=false&reference_date=2024-01-01", noisy.encode(), AUTH)
    assert strict.json() == docverify.read_mrz(noisy, reference_date=ref, repair_text=False).to_dict()
    # half a UTF-16 pair, escaped in JSON, is no character: read as U+FFFD and reported, never a server error
    half = json.dumps({"lines": [lines[0][:5] + "\ud800" + lines[0][6:], lines[1]]}).encode()
    answer = call(server.port, "POST", "/v1/mrz?reference_date=2024-01-01", half, as_json)
    assert answer.status == 200 and answer.json()["valid"] is False
    assert "mrz.charset.illegal" in {f["code"] for f in answer.json()["findings"]}
    for body, headers in (
        (b"not an mrz", AUTH),
        (b"", AUTH),
        (b"\xff\xfe", AUTH),
        (b"{", as_json),
        (b'{"lines": [1, 2]}', as_json),
    ):
        bad = call(server.port, "POST", "/v1/mrz", body, headers)
        assert bad.status == 422, body
        assert bad.json()["error"]["kind"] == "input" and bad.json()["schema_version"] == "1.0"


def _form_part(disposition: str, data: bytes, boundary: str = "docverify-test-boundary-4d1c") -> bytes:
    return f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"


def test_mrz_as_a_form(server: Subprocess) -> None:
    """A form posts the MRZ as the field ``text`` (URL-encoded or multipart) or as a text file ``file``; what is
    judged is the field, not the form's framing."""
    ref = dt.date(2024, 1, 1)
    expected = docverify.read_mrz(MRZ_TEXT, reference_date=ref).to_dict()
    url = "/v1/mrz?reference_date=2024-01-01"
    urlencoded = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    answer = call(server.port, "POST", url, urllib.parse.urlencode({"text": MRZ_TEXT}).encode(), urlencoded)
    assert answer.status == 200 and answer.json() == expected
    plain = call(server.port, "POST", url, MRZ_TEXT.encode(), urlencoded)  # `curl -d @mrz.txt`: the text itself
    assert plain.status == 200 and plain.json() == expected
    other = call(server.port, "POST", url, b"lines=P%3CUTO", urlencoded)
    assert other.status == 422 and "'text'" in other.json()["error"]["message"]
    boundary = "docverify-test-boundary-4d1c"
    form = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    end = f"--{boundary}--\r\n".encode()
    for disposition in ('form-data; name="text"', 'form-data; name="file"; filename="mrz.txt"'):
        body = _form_part('form-data; name="note"', b"ignored") + _form_part(disposition, MRZ_TEXT.encode()) + end
        answer = call(server.port, "POST", url, body, form)
        assert answer.status == 200 and answer.json() == expected, disposition
    masked = call(server.port, "POST", url + "&mask_personal_data=true", MRZ_TEXT.encode(), AUTH)
    assert masked.status == 200 and masked.json() == docverify.read_mrz(MRZ_TEXT, reference_date=ref).to_dict(
        mask_personal_data=True
    )
    assert "ERIKSSON" not in masked.body.decode() and masked.json()["valid"] == expected["valid"]
    twice = _form_part('form-data; name="text"', b"A") + _form_part('form-data; name="file"', b"B") + end
    for body, words in ((twice, "more than one"), (_form_part('form-data; name="mrz"', b"A") + end, "no field")):
        answer = call(server.port, "POST", url, body, form)
        assert answer.status == 422 and words in answer.json()["error"]["message"]


def test_upload_file_names_as_clients_send_them(server: Subprocess) -> None:
    """The report's ``source`` is the name the user gave the file: browsers, httpx and urllib3 send ``"`` as
    ``%22``, curl as ``\\"``; older clients send a non-ASCII name as RFC 5987's ``filename*``."""
    data = TD3.read_bytes()
    boundary = "docverify-test-boundary-4d1c"
    form = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    end = f"--{boundary}--\r\n".encode()
    for disposition, name in (
        ('form-data; name="file"; filename="say %22cheese%22.jpg"', 'say "cheese".jpg'),
        ('form-data; name="file"; filename="say \\"cheese\\".jpg"', 'say "cheese".jpg'),
        ("form-data; name=\"file\"; filename*=UTF-8''P%C3%A9rez%20Ca%C3%B1o.jpg", "Pérez Caño.jpg"),
        ('form-data; name="file"; filename="Pérez.jpg"', "Pérez.jpg"),
        ('form-data; name="file"', "upload"),
        ("form-data; name=\"file\"; filename*=idna''%ff.jpg", "\ufffd.jpg"),  # a charset RFC 5987 does not allow
        ("form-data; name=\"file\"; filename*=ISO-8859-1''P%E9rez.jpg", "Pérez.jpg"),
    ):
        body = _form_part(disposition, data) + end
        answer = call(server.port, "POST", f"/v1/check?reference_date={REF}&mrz_only=true", body, form)
        assert answer.status == 200, (disposition, answer.body)
        assert answer.json()["source"] == name, disposition
    long_name = _form_part(f'form-data; name="file"; filename="{"x" * 5000}.jpg"', data) + end
    answer = call(server.port, "POST", "/v1/check", long_name, form)
    assert answer.status == 422 and "header line is longer than" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"plain text, not an image\n", "text file"),
        (TD3.read_bytes()[:6000], "truncated or corrupt"),
        ((Path(__file__).resolve().parent / "corpus" / "crash-heif-metadata.heic").read_bytes(), "decoder crashed"),
    ],
    ids=["empty", "text", "truncated-jpeg", "heic-that-crashes-its-decoder"],
)
def test_unusable_input_is_422(server: Subprocess, body: bytes, words: str) -> None:
    answer = call(server.port, "POST", "/v1/check", body, AUTH)
    assert answer.status == 422
    error = answer.json()["error"]
    assert error["kind"] == "input" and words in error["message"]
    assert "Traceback" not in answer.body.decode()
    assert call(server.port, "GET", "/healthz").status == 200  # the service is still up


def test_bad_queries_and_forms_are_422(server: Subprocess) -> None:
    data = TD3.read_bytes()
    out_of_range = call(server.port, "POST", "/v1/check?reference_date=9999-12-31", data, AUTH)
    assert out_of_range.status == 422 and "1900" in out_of_range.json()["error"]["message"]
    for query in ("reference_date=2026-02-31", "reference_date=1700000000", "ocr=paddle", "mask_personal_data=maybe"):
        answer = call(server.port, "POST", f"/v1/check?{query}", data, AUTH)
        assert answer.status == 422, query
        assert answer.json()["error"]["kind"] == "input"
    body, ctype = multipart(data, field="image")
    no_file = call(server.port, "POST", "/v1/check", body, {**AUTH, "Content-Type": ctype})
    assert no_file.status == 422 and "'file'" in no_file.json()["error"]["message"]
    body, ctype = multipart(data)
    cut = call(server.port, "POST", "/v1/check", body[:-10], {**AUTH, "Content-Type": ctype})
    assert cut.status == 422 and "incomplete" in cut.json()["error"]["message"]


def test_oversized_uploads_are_413(server: Subprocess) -> None:
    declared = (
        f"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Length: {3 * MIB}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    started = time.monotonic()
    assert raw_exchange(server.port, declared) == 413  # refused on the header alone: no body was sent
    assert time.monotonic() - started < 5
    chunked = (
        f"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"\0" * 64 * 1024)
    assert raw_exchange(server.port, chunked, [chunk] * 40) == 413  # 2.5 MiB counted while it streams
    body, ctype = multipart(os.urandom(MIB + 1))
    answer = call(server.port, "POST", "/v1/check", body, {**AUTH, "Content-Type": ctype})
    assert answer.status == 413 and answer.json()["error"]["kind"] == "input"


def test_api_key_is_required_except_for_healthz(server: Subprocess) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}):
        for method, path in (("GET", "/v1/version"), ("GET", "/openapi.json"), ("POST", "/v1/mrz")):
            answer = call(server.port, method, path, MRZ_TEXT.encode() if method == "POST" else None, headers)
            assert answer.status == 401, (headers, path)
            assert answer.json()["error"]["kind"] == "auth"
    assert call(server.port, "GET", "/healthz").status == 200
    assert call(server.port, "POST", "/v1/mrz", MRZ_TEXT.encode(), AUTH).status == 200


def test_saturation_answers_503_with_retry_after(server: Subprocess) -> None:
    data = TD3.read_bytes()

    def one(_: int) -> Answer:
        return call(server.port, "POST", f"/v1/check?reference_date={REF}", data, AUTH)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(8)))
    statuses = sorted(a.status for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for a in answers:
        if a.status == 503:
            assert a.headers["retry-after"] == "1"
            assert a.json()["error"]["kind"] == "busy"
        else:
            assert a.json()["verdict"] == "pass"
    assert one(0).status == 200  # and it recovers


def slow_upload(port: int, gap: float = 0.1, limit: float = 15.0) -> tuple[int | None, float]:
    """A client that sends a body one byte every ``gap`` s: the status it gets and when."""
    head = f"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Length: 100000\r\n\r\n".encode()
    started = time.monotonic()
    with socket.create_connection((HOST, port), timeout=limit) as sock:
        sock.sendall(head)
        data = b""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while time.monotonic() - started < limit:
                if select.select([sock], [], [], gap)[0]:
                    while chunk := sock.recv(65536):
                        data += chunk
                    break
                sock.sendall(b"x")
        elapsed = time.monotonic() - started
    return (int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None), elapsed


def test_slow_uploads_are_cut_off_and_hold_no_slot(server: Subprocess) -> None:
    with ThreadPoolExecutor(3) as pool:
        slow = [pool.submit(slow_upload, server.port) for _ in range(3)]
        time.sleep(0.3)
        # meanwhile (the service has one check slot): health and a whole check still answer
        assert call(server.port, "GET", "/healthz", timeout=5).status == 200
        check = call(server.port, "POST", f"/v1/check?reference_date={REF}", TD3.read_bytes(), AUTH)
        assert check.status == 200 and check.json()["verdict"] == "pass"
        results = [f.result() for f in slow]
    for status, elapsed in results:
        assert status == 408
        assert 1.4 < elapsed < 6.0, elapsed  # the body timeout is 1.5 s


def test_flood_of_large_uploads(server: Subprocess) -> None:
    """Uploads over the limit, near it and valid ones, 12 at a time: each gets an answer (413, 503, 422 or
    200) while /healthz answers throughout; the service answers normally afterwards, memory bounded."""
    jpeg = TD3.read_bytes()
    noise = random.Random(6).randbytes(MIB - 1000)
    over = (
        f"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Length: {20 * MIB}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()

    def head(n: int) -> bytes:
        return (
            f"POST /v1/check?reference_date={REF} HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\n"
            f"Content-Length: {n}\r\nConnection: close\r\n\r\n"
        ).encode()

    def one(i: int) -> int | None:
        if i % 3 == 0:
            return raw_exchange(server.port, over, [noise])  # declared over the limit, sent anyway
        data = noise if i % 3 == 1 else jpeg
        return raw_exchange(server.port, head(len(data)), [data[k : k + 65536] for k in range(0, len(data), 65536)])

    health: list[tuple[int, float]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            t0 = time.monotonic()
            status = call(server.port, "GET", "/healthz", timeout=10).status
            health.append((status, time.monotonic() - t0))
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(one, range(60)))
    finally:
        done.set()
        poller.join()
    assert set(statuses) <= {200, 413, 422, 503}, statuses
    assert statuses.count(413) >= 20 and 503 in statuses, statuses
    assert len(health) >= 5 and all(s == 200 for s, _ in health)
    assert max(t for _, t in health) < 2.0, max(t for _, t in health)
    after = call(server.port, "POST", f"/v1/check?reference_date={REF}", jpeg, AUTH)
    assert after.status == 200 and after.json()["verdict"] == "pass"
    assert rss_kib(server.proc.pid, "VmHWM") < 1024 * 1024  # peak under 1 GiB


# --- timeouts and errors (servers in a thread, with engines that misbehave on purpose) ------------------------


@dataclasses.dataclass(frozen=True)
class SlowEngine:
    """The real recognizer, after a pause."""

    delay: float
    name: str = "slow"
    cell_aligned: bool = True

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        time.sleep(self.delay)
        return CellRecognizer().read_lines(crops, count)


@dataclasses.dataclass(frozen=True)
class BrokenEngine:
    """An engine that raises ``error`` (its message holds personal data, as an exception's may)."""

    error: Exception
    name: str = "broken"
    cell_aligned: bool = True

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        raise self.error


def test_timeout_answers_504_and_keeps_the_slot_until_the_check_ends() -> None:
    settings = ServiceSettings(max_concurrency=1, timeout_s=0.3, queue_timeout_s=0.0)
    slow = SlowEngine(0.8)
    with thread_server(settings, {"model": slow, "tesseract": slow}) as port:
        started = time.monotonic()
        first = call(port, "POST", "/v1/check", TD3.read_bytes())
        assert first.status == 504 and first.json()["error"]["kind"] == "timeout"
        assert time.monotonic() - started < 1.0
        # the abandoned check still runs: its slot is not handed out
        assert call(port, "GET", "/healthz").json()["checks_running"] == 1
        busy = call(port, "POST", "/v1/mrz", MRZ_TEXT.encode())
        assert busy.status == 503 and busy.headers["retry-after"] == "1"
        deadline = time.monotonic() + 10
        while call(port, "GET", "/healthz").json()["checks_running"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert call(port, "POST", "/v1/mrz", MRZ_TEXT.encode()).status == 200


def test_internal_errors_are_generic_and_dependency_errors_503(caplog: pytest.LogCaptureFixture) -> None:
    secret = _truth("td3_flatbed.jpg")["mrz_data"]["document_number"]
    engines = {
        "model": BrokenEngine(RuntimeError(f"cannot read {secret}")),
        "tesseract": BrokenEngine(DependencyError("tesseract is not installed")),
    }
    caplog.set_level(logging.INFO, logger="docverify.service")
    with thread_server(ServiceSettings(max_concurrency=1), engines) as port:
        broken = call(port, "POST", "/v1/check", TD3.read_bytes())
        missing = call(port, "POST", "/v1/check?ocr=tesseract", TD3.read_bytes())
    assert broken.status == 500
    assert broken.json()["error"]["kind"] == "internal"
    assert secret not in broken.body.decode() and "Traceback" not in broken.body.decode()
    assert missing.status == 503
    assert missing.json()["error"] == {
        "kind": "dependency",
        "message": "docverify cannot run this check: tesseract is not installed",
    }
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "internal error (RuntimeError)" in logged and broken.headers["x-request-id"] in logged
    assert secret not in logged and "status=500" in logged


# --- processes, the command line, the log ------------------------------------------------------------------


def test_several_workers_and_a_key_from_the_environment(tmp_path: Path) -> None:
    srv = Subprocess(["--workers", "2", "--max-concurrency", "1"], tmp_path / "log", env={"DOCVERIFY_API_KEY": KEY})
    try:
        assert call(srv.port, "POST", "/v1/mrz", MRZ_TEXT.encode()).status == 401
        answers = [call(srv.port, "POST", "/v1/mrz", MRZ_TEXT.encode(), AUTH) for _ in range(4)]
        assert all(a.status == 200 and a.json()["format"] == "TD3" for a in answers)
    finally:
        srv.stop()
    assert srv.log.read_text().count("ready: 1 check slots") == 2  # two processes, each its own app


def test_serve_without_the_extra_exits_5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == int(ExitCode.ERROR)
    assert "pip install 'docverify[serve]'" in result.output


def test_serve_exits_5_when_it_cannot_start() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        cmd = [sys.executable, "-m", "docverify", "serve", "--port", str(port)]
        proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    assert proc.returncode == int(ExitCode.ERROR)
    assert b"address already in use" in proc.stderr.lower()


def test_settings_from_the_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(" s3cret \n")
    env = {"DOCVERIFY_MAX_UPLOAD_MB": "2", "DOCVERIFY_MAX_CONCURRENCY": "3", "DOCVERIFY_API_KEY_FILE": str(key_file)}
    settings = ServiceSettings.from_env(env)
    assert (settings.max_upload_bytes, settings.max_concurrency, settings.api_key) == (2 * MIB, 3, "s3cret")
    assert settings.queue_limit == 12 and settings.buffer_limit == 6 * 2 * MIB
    assert "s3cret" not in repr(settings)
    for bad in ({"DOCVERIFY_TIMEOUT": "soon"}, {"DOCVERIFY_MAX_CONCURRENCY": "0"}, {"DOCVERIFY_TIMEOUT": "nan"}):
        with pytest.raises(ValueError, match=r"DOCVERIFY_|max_concurrency"):
            ServiceSettings.from_env(bad)


def test_server_log_holds_no_document_data(server: Subprocess) -> None:
    """After every other test (and a few requests of its own), the log holds request lines and none of the
    sample's MRZ lines, names, numbers or dates, nor an upload's file name or a query value."""
    data = TD3.read_bytes()
    body, ctype = multipart(data)
    upload = call(server.port, "POST", f"/v1/check?reference_date={REF}", body, {**AUTH, "Content-Type": ctype})
    assert upload.status == 200
    assert call(server.port, "POST", "/v1/mrz", MRZ_TEXT.encode(), AUTH).status == 200
    assert call(server.port, "POST", "/v1/check", data[:5000], AUTH).status == 422
    text = server.log.read_text()
    lines = [line for line in text.splitlines() if "docverify.service: request id=" in line]
    assert len(lines) >= 5
    assert any("path=/v1/check status=200" in line and "verdict=pass" in line for line in lines)
    truth = _truth("td3_flatbed.jpg")
    fields = truth["mrz_data"]
    secrets = [
        *truth["mrz_lines"],
        *MRZ_TEXT.split(),
        fields["surname"],
        *fields["given_names"].split(),
        fields["document_number"],
        fields["birth_date"],
        fields["expiry_date"],
        "ERIKSSON",
        "L898902C3",
        UPLOAD_NAME,
        "td3_flatbed",
        REF,
    ]
    # time stamps and request ids are random digits: drop them before looking for dates and numbers
    log = re.sub(r"^\S+ \S+ |id=[0-9a-f]+", "", text, flags=re.MULTILINE)
    for secret in secrets:
        assert secret not in log, f"{secret!r} is in the server log"
    assert "Traceback" not in log


@pytest.mark.parametrize("case", [c for c in IMAGE_CASES + MRZ_CASES if c.uploadable], ids=lambda c: c.name)
def test_the_bad_input_catalogue_through_the_service(server: Subprocess, case: BadInput, tmp_path: Path) -> None:
    """Every catalogue case that lives in a file's bytes, uploaded: the documented status and message,
    the same outcome as the CLI, and the service still answers afterwards."""
    path = Path(case.build(tmp_path))
    data = path.read_bytes()
    if case.target == "mrz":
        answer = call(server.port, "POST", f"/v1/mrz?reference_date={MRZ_REFERENCE_DATE}", data, AUTH | TEXT)
    else:
        body, content_type = multipart(data, filename=path.name)  # the message names the upload
        headers = AUTH | {"Content-Type": content_type}
        answer = call(server.port, "POST", f"/v1/check?reference_date={REFERENCE_DATE}", body, headers)
    doc = answer.json()
    if case.error is not None:
        assert answer.status == (413 if case.too_large else 422), (answer.status, doc)
        assert doc["error"]["kind"] == "input" and re.search(case.error, doc["error"]["message"]), doc
    else:
        assert answer.status == 200, doc
        if case.verdict is not None:
            assert doc["verdict"] == case.verdict
        else:
            assert doc["valid"] is True
    assert call(server.port, "GET", "/healthz").status == 200
