"""`python -m bot`: run the Slack app (what `postmortem serve` executes)."""

import sys

from bot.serve import main

sys.exit(main())
