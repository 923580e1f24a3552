"""``python -m xltool``: the command, for Windows users whose Scripts folder is not on PATH."""

from xltool.cli import run

if __name__ == "__main__":
    run()
