"""``python -m docverify``: the same as the ``docverify`` command."""

from docverify.cli import run

if __name__ == "__main__":
    run()
