"""`python -m bench.generate`: see cli.py."""

import sys

from bench.generate.cli import main

sys.exit(main())
