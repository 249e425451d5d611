"""``python -m hvlab.cli``: the `hvlab` command."""
import sys

from hvlab.cli import main

sys.exit(main())
