"""Settings of the processes a fault-injection test starts: the production settings, email into files.

Not tests.settings: that one runs tasks eagerly and keeps email in memory, which is exactly what these
tests must not do. Every message a worker sends is a file under EMAIL_FILE_PATH (tests/faults/mailbox.py),
where the test counts them.
"""

import os

from vatcrm.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.faults.mailbox.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
