"""Container entry point: ``python -m relay`` is ``coinpulse relay`` configured by environment."""

import sys

from commands.main import main

sys.exit(main(["relay", *sys.argv[1:]]))
