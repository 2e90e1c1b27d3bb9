"""`python -m verification.simulator --port 8001`: the simulator without Django (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
