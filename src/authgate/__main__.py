"""`python -m authgate ...`: the same command line as the `authgate` script."""
from authgate.cli import app

if __name__ == "__main__":
    app(prog_name="authgate")
