"""Container entry point: ``python -m relay`` is ``coinpulse relay`` configured by environment."""

import sys

from coinpulse.cli import main

sys.exit(main(["relay", *sys.argv[1:]]))
