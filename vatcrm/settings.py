"""vatcrm settings: every value comes from the environment, in this one place.

Defaults are safe for production (DEBUG off, secure cookies when DEBUG is off) except where the
embedded defaults (`make run`) need a value to work at all: an SQLite file, a broker in a folder,
email on the console. The README has a table of every variable.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-never-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute links in emails point here (no request to take the host from in a Celery task).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not PUBLIC_BASE_URL:
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be set when DEBUG is off (links in emails point there)")
# Where the embedded defaults keep their files: the SQLite database and the broker's folder.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "anymail",
    "django_celery_beat",
    "django_filters",
    "verification",
    "crm",
    "monitoring",
    "notifications",
    "imports",
    "dashboard",
    "accounts",
    "ops",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "django_guid",
]

MIDDLEWARE = [
    # First, so that every log line of the request (a redirect's included) carries its request id.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vatcrm.middleware.PrivateCacheMiddleware",
    # Outside everything below that can answer an error: under /api/ every error is problem+json.
    "api.middleware.ProblemResponseMiddleware",
    # Before anything reads the URL's values: a NUL in the path or query string is a 400 (crm/untrusted.py).
    "crm.middleware.StorableURLMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switch's cookie, else the browser's Accept-Language (after sessions, before
    # CommonMiddleware, which may redirect); then a signed-in person's own choice (accounts/language.py).
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # Django's, but a path of the API is not redirected to add its slash (a redirected POST loses its body).
    "api.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "crm.middleware.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "vatcrm.urls"
WSGI_APPLICATION = "vatcrm.wsgi.application"
ASGI_APPLICATION = "vatcrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.workspace",
                "dashboard.context_processors.open_alerts",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'vatcrm.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file on embedded defaults: wait for the writer instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # libpq waits for an unreachable server as long as the OS does (minutes): the readiness probe, a
    # request and a task fail within this instead, and a retry or the next probe tries again.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis --------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts (django-allauth, email as the login) -------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory in production; `make run` sets it to optional so the demo works without a mailbox.
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# After signing up or in, a workspace without its own company is asked for it first (crm/adapters.py).
ACCOUNT_ADAPTER = "crm.adapters.AccountAdapter"
# allauth's forms with the product's labels (accounts/forms.py); its templates are overridden in templates/.
ACCOUNT_FORMS = {
    name: f"accounts.forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "add_email": "AddEmailForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[vatcrm] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PUBLIC_BASE_URL.startswith("https") else "http"
# allauth's own rate limits stay on (its defaults); this only documents that nothing turns them off.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Those limits count per client address. Behind a reverse proxy every request comes from the proxy, so one
# client's bad logins would lock everyone out: name the proxies in front of the app. TRUSTED_PROXY_COUNT
# proxies append to X-Forwarded-For, and allauth takes the address the outermost of them appended, never a
# value the client sent; 0 ignores the header and takes REMOTE_ADDR. A proxy that sets a header of its own
# instead (CF-Connecting-IP, X-Real-IP) is named by TRUSTED_CLIENT_IP_HEADER.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER") or None

# --- Email (django-anymail in production, console on embedded defaults) ----------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vatcrm <alerts@vatcrm.localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Provider credentials for the Anymail backend named in EMAIL_BACKEND, e.g.
# ANYMAIL_POSTMARK_SERVER_TOKEN or ANYMAIL_MAILGUN_API_KEY: passed through as they are named.
ANYMAIL = {key[len("ANYMAIL_") :]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}

# --- Celery (vatcrm/celery.py reads the CELERY_ namespace) -----------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # A broker that needs no server: messages are files in one folder shared by web, worker and beat.
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Redelivery after a lost worker: a task unacked for this long goes back to the queue.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Evidence ----------------------------------------------------------------------------------------
# Days a check and its raw exchange are kept (crm/services/retention.py, daily at 03:30 UTC). Each
# counterparty's last check and last definitive check, and every check an alert rests on, are kept for good.
# 0 keeps everything. Ten years by default: the longest retention of VAT records among the member states'
# common rules; set it to what the team's own law asks.
EVIDENCE_RETENTION_DAYS = env_int("EVIDENCE_RETENTION_DAYS", 3653)

# --- Registries -------------------------------------------------------------------------------------
# "live" talks to the real registries; "sandbox" to the registry simulator at REGISTRY_SIMULATOR_URL.
REGISTRY_MODE = env_str("REGISTRY_MODE", "live")
if REGISTRY_MODE not in {"live", "sandbox"}:
    raise ImproperlyConfigured("REGISTRY_MODE must be 'live' or 'sandbox'")
REGISTRY_SIMULATOR_URL = env_str("REGISTRY_SIMULATOR_URL", "http://127.0.0.1:8001").rstrip("/")
_default_wsdl = (
    f"{REGISTRY_SIMULATOR_URL}/vies/checkVatService.wsdl"
    if REGISTRY_MODE == "sandbox"
    else "https://ec.europa.eu/taxation_customs/vies/checkVatService.wsdl"
)
VIES_WSDL_URL = env_str("VIES_WSDL_URL", _default_wsdl)
VIES_SERVICE_URL = env_str("VIES_SERVICE_URL")
VIES_CONNECT_TIMEOUT = env_float("VIES_CONNECT_TIMEOUT", 5.0)
VIES_READ_TIMEOUT = env_float("VIES_READ_TIMEOUT", 20.0)
# The registries beyond VIES (docs/registries.md): HMRC for GB, the UID register for CHE, Brønnøysund for NO.
_sandbox = REGISTRY_MODE == "sandbox"
HMRC_API_URL = env_str(
    "HMRC_API_URL", f"{REGISTRY_SIMULATOR_URL}/hmrc" if _sandbox else "https://api.service.hmrc.gov.uk"
)
# Without credentials GB numbers get their format check and "registry not configured", never "invalid".
# The simulator accepts any pair, so sandbox mode has one by default.
HMRC_CLIENT_ID = env_str("HMRC_CLIENT_ID", "sandbox-client" if _sandbox else "")
HMRC_CLIENT_SECRET = env_str("HMRC_CLIENT_SECRET", "sandbox-secret" if _sandbox else "")
UID_SERVICE_URL = env_str(
    "UID_SERVICE_URL",
    f"{REGISTRY_SIMULATOR_URL}/uid/V5.0/PublicServices.svc"
    if _sandbox
    else "https://www.uid-wse.admin.ch/V5.0/PublicServices.svc",
)
BRREG_API_URL = env_str(
    "BRREG_API_URL",
    f"{REGISTRY_SIMULATOR_URL}/brreg/enhetsregisteret/api"
    if _sandbox
    else "https://data.brreg.no/enhetsregisteret/api",
)
REGISTRY_CONNECT_TIMEOUT = env_float("REGISTRY_CONNECT_TIMEOUT", 5.0)
REGISTRY_READ_TIMEOUT = env_float("REGISTRY_READ_TIMEOUT", 20.0)
REGISTRY_MAX_IN_FLIGHT_PER_STATE = env_int("REGISTRY_MAX_IN_FLIGHT_PER_STATE", 5)
# The window of calls in flight per registry and country is learned within these bounds, starting at the
# value above (verification/ratelimit.py). REGISTRY_MAX_IN_FLIGHT = the value above: a fixed limit.
REGISTRY_MIN_IN_FLIGHT = env_int("REGISTRY_MIN_IN_FLIGHT", 1)
REGISTRY_MAX_IN_FLIGHT = env_int("REGISTRY_MAX_IN_FLIGHT", 20)
# How long a call waits for a free slot before it gives up as unverified (RATE_LIMITED) and is retried.
REGISTRY_SLOT_WAIT = env_float("REGISTRY_SLOT_WAIT", 10.0)
# An unverified check (registry down) is asked again after 1, 2, 4, ... minutes, up to a cap and a count.
VERIFICATION_RETRY_BASE_DELAY = timedelta(seconds=env_int("VERIFICATION_RETRY_BASE_SECONDS", 60))
VERIFICATION_RETRY_MAX_DELAY = timedelta(seconds=env_int("VERIFICATION_RETRY_MAX_SECONDS", 3600))
VERIFICATION_RETRY_MAX_ATTEMPTS = env_int("VERIFICATION_RETRY_MAX_ATTEMPTS", 8)

# --- Monitoring (docs/monitoring.md) -----------------------------------------------------------------
# When the daily run fires is not a setting: it is the "monitoring: daily run" periodic task, edited in
# the admin (django-celery-beat's database scheduler picks a change up without a restart).
MONITORING_UNVERIFIABLE_ALERT_AFTER = timedelta(hours=env_int("MONITORING_UNVERIFIABLE_ALERT_HOURS", 72))
# Due counterparties are claimed and enqueued this many at a time, one short transaction per chunk.
MONITORING_CHUNK_SIZE = env_int("MONITORING_CHUNK_SIZE", 500)
# Next due = run start + frequency - tolerance: tomorrow's run still finds it due if it starts earlier.
MONITORING_SCHEDULE_TOLERANCE = timedelta(minutes=env_int("MONITORING_SCHEDULE_TOLERANCE_MINUTES", 180))
# An unverified re-check (registry down) is retried after ~1, 2, 4, ... minutes (jittered), up to a cap
# and a count; then it counts as unverified and the next period tries again. Keep the cap well below
# CELERY_VISIBILITY_TIMEOUT: Redis redelivers a delayed message that waits longer than that.
MONITORING_RETRY_BASE_DELAY = timedelta(seconds=env_float("MONITORING_RETRY_BASE_SECONDS", 60))
MONITORING_RETRY_MAX_DELAY = timedelta(seconds=env_float("MONITORING_RETRY_MAX_SECONDS", 1800))
MONITORING_RETRY_MAX_RETRIES = env_int("MONITORING_RETRY_MAX_RETRIES", 5)
# Runs (and their per-counterparty rows) older than this are deleted when a new run starts.
MONITORING_RUN_RETENTION = timedelta(days=env_int("MONITORING_RUN_RETENTION_DAYS", 90))
# The reconciler (beat, every minute: docs/monitoring.md "Nothing lost") sends a re-check again when its
# message may be lost: not published, not picked up this long after it was due while the queue cannot be
# holding it, or picked up by a worker that has not finished it within the lease (the task's hard time
# limit, plus a margin: a live worker is never overtaken).
MONITORING_RECHECK_GRACE = timedelta(seconds=env_float("MONITORING_RECHECK_GRACE_SECONDS", 120))
MONITORING_RECHECK_SOFT_TIME_LIMIT = env_int("MONITORING_RECHECK_SOFT_TIME_LIMIT", 90)
MONITORING_RECHECK_TIME_LIMIT = env_int("MONITORING_RECHECK_TIME_LIMIT", 120)
MONITORING_RECHECK_LEASE = timedelta(
    seconds=env_float("MONITORING_RECHECK_LEASE_SECONDS", MONITORING_RECHECK_TIME_LIMIT + 30)
)
# At most this many messages sent again per reconciler tick (the rest on the next tick).
MONITORING_RECONCILE_BATCH = env_int("MONITORING_RECONCILE_BATCH", 10000)
# Messages the workers may hold without having started them (prefetch): below this difference between
# the waiting re-checks and the queue's length, nothing is counted as lost.
MONITORING_RECONCILE_QUEUE_SLACK = env_int("MONITORING_RECONCILE_QUEUE_SLACK", 100)
# Database errors inside monitoring's tasks are retried with doubling, jittered backoff up to this cap,
# this many times: about an hour in all, longer than a failover or a restart of PostgreSQL.
MONITORING_DB_RETRY_MAX_DELAY = env_float("MONITORING_DB_RETRY_MAX_SECONDS", 120)
MONITORING_DB_RETRY_MAX_RETRIES = env_int("MONITORING_DB_RETRY_MAX_RETRIES", 60)
# A run not finished this long after it started is ended as incomplete: what it could not re-check is
# listed on the run, due again for the next run, and the owners concerned are told.
MONITORING_RUN_WINDOW = timedelta(hours=env_float("MONITORING_RUN_WINDOW_HOURS", 20))
# An owner may start a run of their own workspace's monitoring at most once per this many minutes.
MONITORING_RUN_NOW_INTERVAL = timedelta(minutes=env_float("MONITORING_RUN_NOW_MINUTES", 10))

# --- Exports (crm/exports.py) ---------------------------------------------------------------------------
# Above this many rows an export is written by a Celery task and offered for download when ready, so
# that no request holds a web worker for more than a few seconds.
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 10000)
# The audit export's Excel file goes to the background sooner: a check's row (its registry result, the
# requester, the evidence's hash) costs about three times a counterparty's (10,000 took 5.7 s on a loaded
# 2-core machine). Its CSV streams whatever the count.
AUDIT_EXPORT_BACKGROUND_ROWS = env_int("AUDIT_EXPORT_BACKGROUND_ROWS", 3000)
EXPORT_RETENTION = timedelta(hours=env_float("EXPORT_RETENTION_HOURS", 24))

# --- Imports (docs/import.md) ------------------------------------------------------------------------
# A file larger than this, or with more non-empty rows, is refused whole, before anything is stored.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_MB", 20) * 2**20
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)
# A cell longer than this refuses its row (no field of ours holds more; a 1 MB cell is an attack or a mistake).
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 1000)
# An XLSX is a zip: refused before it is opened if it would inflate beyond this, or by more than the ratio.
IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_XLSX_MAX_UNCOMPRESSED_MB", 200) * 2**20
IMPORT_XLSX_MAX_RATIO = env_int("IMPORT_XLSX_MAX_RATIO", 200)
# New counterparties are verified in chunks, one task per chunk, checks one after another within it; at
# most this many chunks of one workspace in flight, so an import never holds more registry slots than that
# and people's own checks keep the rest of the shared limit.
IMPORT_VERIFY_CHUNK_SIZE = env_int("IMPORT_VERIFY_CHUNK_SIZE", 25)
IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE = env_int("IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE", 2)
# A chunk's task stops after this long and sends itself again, so it stays far below its time limits.
IMPORT_VERIFY_TASK_BUDGET_SECONDS = env_float("IMPORT_VERIFY_TASK_BUDGET_SECONDS", 60)
# A chunk picked but silent (no check stored) for this long lost its worker; one dispatched but not picked
# for the grace lost its message. The reconciler (beat, every minute) sends either again.
IMPORT_VERIFY_LEASE_SECONDS = env_float("IMPORT_VERIFY_LEASE_SECONDS", 300)
IMPORT_RECONCILE_GRACE_SECONDS = env_float("IMPORT_RECONCILE_GRACE_SECONDS", 120)
# Previews never committed are deleted after this many days.
IMPORT_STAGED_RETENTION_DAYS = env_int("IMPORT_STAGED_RETENTION_DAYS", 7)

# --- Notifications (docs/notifications.md) -----------------------------------------------------------
# A transient failure (provider down, HTTP 429/5xx) is retried after 1, 2, 4, ... minutes up to the cap;
# a delivery still failing this long after its alert is given up and shown to the owners as failed.
NOTIFICATIONS_RETRY_BASE_DELAY = timedelta(seconds=env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 60))
NOTIFICATIONS_RETRY_MAX_DELAY = timedelta(seconds=env_int("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600))
NOTIFICATIONS_GIVE_UP_AFTER = timedelta(hours=env_int("NOTIFICATIONS_GIVE_UP_HOURS", 72))
# A claim older than this belongs to a sender that died mid-send: the row is sent again. Keep it well
# above CELERY_TASK_TIME_LIMIT, so that a live sender is never overtaken (which would send twice).
NOTIFICATIONS_CLAIM_TIMEOUT = timedelta(seconds=env_int("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 900))
NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = env_float("NOTIFICATIONS_HTTP_CONNECT_TIMEOUT", 5.0)
NOTIFICATIONS_HTTP_READ_TIMEOUT = env_float("NOTIFICATIONS_HTTP_READ_TIMEOUT", 10.0)
# Slack and webhook URLs are typed by users: loopback and private addresses are refused unless allowed.
NOTIFICATIONS_ALLOW_PRIVATE_URLS = env_bool("NOTIFICATIONS_ALLOW_PRIVATE_URLS", False)
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")

# --- Secrets at rest and egress (docs/notifications.md, "Credentials at rest" and "Egress proxy") -------
# Fernet keys, newest first: the first encrypts chat credentials, every one decrypts. Under DEBUG, unset
# means a key derived from SECRET_KEY (notifications/encryption.py warns); otherwise it is required.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off (docs/notifications.md)")
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        # Checked here, so that no process starts with it; the key itself is never repeated (logs).
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
# Registry calls and chat messages leave through this forward proxy, http(s)://[user:password@]host:port.
EGRESS_PROXY_URL = env_str("EGRESS_PROXY_URL")
if EGRESS_PROXY_URL and (
    urlsplit(EGRESS_PROXY_URL).scheme not in {"http", "https"} or not urlsplit(EGRESS_PROXY_URL).hostname
):
    # Not repeated in the message: it may hold the proxy's password.
    raise ImproperlyConfigured("EGRESS_PROXY_URL must be http://host:port or https://host:port")

# --- REST API (docs/api.md) ------------------------------------------------------------------------
# Only API keys authenticate (`Authorization: Bearer <key>`); every error is application/problem+json.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.KeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "vatcrm API",
    "DESCRIPTION": "Verify VAT numbers, keep counterparties and their evidence, follow alerts (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"CheckStatusEnum": "crm.models.CheckStatus"},
}
# Per key, counted in the cache (Redis when REDIS_URL is set): every request, and verifications (each asks
# a registry). DRF's rate syntax: "<count>/<second|minute|hour|day>".
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/minute")
API_VERIFY_RATE_LIMIT = env_str("API_VERIFY_RATE_LIMIT", "60/minute")

# --- Demo account (created by `manage.py create_demo_account`, used by `make run`) -------------------
DEMO_EMAIL = env_str("DEMO_EMAIL", "demo@vatcrm.localhost")
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-password-change-me")

# --- Internationalisation, static files -------------------------------------------------------------
# English (with British date formats) and Russian; docs/i18n.md says how to add a language. Each name is
# written in its own language, as the switch shows it.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("ru", "Русский")]
# The project's catalogues (.po, committed); `manage.py compile_catalogues` builds the .mo files beside them.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats over Django's per language: moments on a 24-hour clock, with minutes (vatcrm/formats/).
FORMAT_MODULE_PATH = ["vatcrm.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the app writes (exports written in the background): web and worker must share it (a volume).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (on unless DEBUG; behind a TLS-terminating proxy in production) ----------------------
# Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's): else a client could
# claim HTTPS. On by default because production runs behind a TLS-terminating proxy.
if env_bool("TRUST_X_FORWARDED_PROTO", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe plain HTTP inside the network: the health check answers instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/ready$", r"^metrics$"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy on every response (docs/architecture.md, "Browser security"): scripts, styles,
# images and fonts only from our own origin and never inline or eval'd, so that injected markup cannot
# run; no plugins, no <base> pointing elsewhere, no framing, forms post only to us. No page needs a nonce.
# CSP_REPORT_ONLY sends the same policy as Content-Security-Policy-Report-Only: browsers report
# violations (to CSP_REPORT_URI, if set, and in their console) and block nothing.
_CSP_POLICY = {
    "default-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "report-uri": env_str("CSP_REPORT_URI") or None,
}
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
SECURE_CSP = {} if CSP_REPORT_ONLY else _CSP_POLICY
SECURE_CSP_REPORT_ONLY = _CSP_POLICY if CSP_REPORT_ONLY else {}

# --- Operations: health, metrics, Sentry (docs/operations.md) ---------------------------------------
# The readiness probe's broker check (and the queue-length metric) gives up after this many seconds.
HEALTH_BROKER_TIMEOUT = env_float("HEALTH_BROKER_TIMEOUT_SECONDS", 2.0)
# Beat writes its periodic tasks' last_run_at back every 3 minutes; the reconciler runs every minute.
HEALTH_BEAT_MAX_AGE = timedelta(seconds=env_int("HEALTH_BEAT_MAX_AGE_SECONDS", 600))
# /metrics answers a bearer token or a peer (REMOTE_ADDR) in these networks; with neither, it is a 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(net, strict=False) for net in env_list("METRICS_ALLOWED_NETWORKS")]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
# Check results and registry latency are reported over this recent window (an indexed range, not a scan).
METRICS_WINDOW = timedelta(minutes=env_int("METRICS_WINDOW_MINUTES", 15))
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from ops.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )

# --- Logging ----------------------------------------------------------------------------------------
# plain for a terminal (`make run`); json in production: one object per line for the log pipeline.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'")
# Request ids: a client's X-Request-ID is kept only if it is a UUID (anything else could forge log lines);
# the id is returned in the response and carried into the Celery tasks the request queues.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "INTEGRATIONS": [CeleryIntegration()],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request and task ids on every record; both formatters mask secrets (ops/logs.py).
    "filters": {"context": {"()": "ops.logs.ContextFilter"}},
    "formatters": {"plain": {"()": "ops.logs.PlainFormatter"}, "json": {"()": "ops.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "zeep": {"level": "WARNING"},
        # Its debug lines print every URL it requests: Slack webhooks and Telegram bot URLs are secrets.
        "urllib3": {"level": "WARNING"},
        # An INFO line per request and per task about the id itself.
        "django_guid": {"level": "WARNING"},
    },
}
