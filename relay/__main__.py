"""Container entry point: ``python -m relay`` runs the relay configured by flags or environment."""

import sys

from relay.main import main

sys.exit(main())
