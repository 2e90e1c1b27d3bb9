"""Test settings: the production settings module with the few things tests must not wait for.

DATABASE_URL and REDIS_URL pass through, so `make test` runs on PostgreSQL and Redis when they are set.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("REGISTRY_MODE", "sandbox")
os.environ.setdefault("PUBLIC_BASE_URL", "http://testserver")
# A Fernet key for tests only (chat credentials are encrypted at rest).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dRHgi6P5-4320Eleag0kw_z5AmsJIsf1ASSYA424UNU=")

from accounts.catalogues import compile_all
from vatcrm.settings import *  # noqa: F403

# The compiled catalogues are not committed: build the missing or stale ones before Django loads any, in
# every process of a test run (a test's own worker process too).
compile_all(LOCALE_PATHS, only_stale=True)  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Files tests write (exports) go to a directory of their own, never into the repository's var/.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="vatcrm-test-media-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Requests in tests run tasks inline unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or "memory://"
