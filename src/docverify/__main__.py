"""``python -m docverify``: the same as the ``docverify`` command."""

from docverify.cli import main

if __name__ == "__main__":
    main()
