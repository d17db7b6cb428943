"""The README's examples are run as written: every ```bash block as a bash script and every ```python block
in one Python process, in a scratch folder that has the repository's `samples/` (blocks fenced ```sh — the
set-up commands at the top, which CI runs anyway — are not run here).

A block fails the test when it exits non-zero; `# exit: N` on a block's first line states another expected
exit code (docverify's exit codes carry the verdict)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(bash|python|sh)\n(.*?)^```$", re.M | re.S)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == kind]


def scratch(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "samples").symlink_to(ROOT / "samples", target_is_directory=True)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_readme_starts_with_the_two_commands() -> None:
    first = blocks("sh")[:2]
    assert first == [
        "bash scripts/setup.sh && .venv/bin/docverify check samples/images/td3_flatbed.jpg\n",
        "bash scripts/setup.sh --dev && bash scripts/test.sh\n",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/setup.sh --dev && bash scripts/test.sh" in ci


@pytest.mark.parametrize("index", range(len(blocks("bash"))))
def test_bash_examples_run(index: int, tmp_path: Path) -> None:
    body = blocks("bash")[index]
    expected = int(m.group(1)) if (m := re.match(r"# exit: (\d+)", body)) else 0
    env = scratch(tmp_path)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", body],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == expected, (
        f"{body}\n--- stdout\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
    assert "Traceback" not in result.stderr


def test_python_examples_run(tmp_path: Path) -> None:
    code = "\n".join(blocks("python"))
    assert "docverify.verify(" in code and "read_mrz(" in code
    env = scratch(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_command_has_help_with_examples() -> None:
    import click
    from click.testing import CliRunner

    from docverify.cli import main

    commands = main.list_commands(click.Context(main))  # with those imported only when used (samples)
    assert {"mrz", "check", "batch", "samples", "serve"} <= set(commands)
    for name in commands:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Examples:" in result.output and f"docverify {name}" in result.output, name
        assert name in README.read_text(encoding="utf-8"), name
