"""Settings come from the environment, and production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "vatcrm.settings",
    "SECRET_KEY": "a-production-secret-key-of-sufficient-length-and-entropy-4f8c1e9d7b2a6035",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "vatcrm.example.com",
    "PUBLIC_BASE_URL": "https://vatcrm.example.com",
    "DATABASE_URL": "postgres://vatcrm@db.invalid:5432/vatcrm",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "token",
    "FIELD_ENCRYPTION_KEYS": "Lp2bVpw9zv0N5gG2w7oZcI0mC3Hq8Yb7x3m4c1Qm5nA=",
}


# Variables the test run itself sets; a production process would not have them.
INHERITED_FROM_TESTS = {
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "REGISTRY_MODE",
    "PUBLIC_BASE_URL",
    "FIELD_ENCRYPTION_KEYS",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in INHERITED_FROM_TESTS}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_refuses_to_start_in_production():
    result = _manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_use_postgres_redis_and_anymail():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'],"
        " s.EMAIL_BACKEND, s.ANYMAIL, s.ACCOUNT_EMAIL_VERIFICATION, s.CELERY_BEAT_SCHEDULER)"
    )
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "postgresql" in out and "redis://redis.invalid:6379/0" in out and "RedisCache" in out
    assert "anymail.backends.postmark" in out and "'POSTMARK_SERVER_TOKEN': 'token'" in out
    assert "mandatory" in out and "DatabaseScheduler" in out


def test_embedded_defaults_need_no_server():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    result = _manage("shell", "-c", code, env={"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "vatcrm.settings"})
    assert result.returncode == 0, result.stderr
    assert "sqlite3 filesystem://" in result.stdout


def test_the_trusted_proxy_for_client_addresses_comes_from_the_environment():
    """Read by allauth's rate limits (tests/crm/test_login_limits_behind_a_proxy.py): none trusted by default."""
    code = (
        "from django.conf import settings as s;print(s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )
    default = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    proxied = _manage("shell", "-c", code, env={**PRODUCTION_ENV, "TRUSTED_PROXY_COUNT": "1"})
    header = _manage("shell", "-c", code, env={**PRODUCTION_ENV, "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"})
    assert default.stdout.split()[-2:] == ["0", "None"], default.stderr
    assert proxied.stdout.split()[-2:] == ["1", "None"], proxied.stderr
    assert header.stdout.split()[-2:] == ["0", "X-Real-IP"], header.stderr


def test_production_without_a_public_base_url_refuses_to_start():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "PUBLIC_BASE_URL"}
    result = _manage("check", env=env)
    assert result.returncode != 0 and "PUBLIC_BASE_URL must be set" in result.stderr


def test_the_health_check_answers_plain_http_behind_the_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/crm/").status_code == 301


def test_production_without_encryption_keys_or_with_a_malformed_one_refuses_to_start():
    missing = _manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": ""})
    assert missing.returncode != 0 and "FIELD_ENCRYPTION_KEYS must be set" in missing.stderr
    key = PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]
    malformed = _manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": f"{key},not-a-key-secret"})
    assert malformed.returncode != 0 and "key 2 is not a Fernet key" in malformed.stderr
    assert "not-a-key-secret" not in malformed.stderr


def test_development_derives_a_key_from_the_secret_key_and_says_so():
    code = "from notifications.encryption import decrypt, encrypt; print(decrypt(encrypt('round trip')))"
    result = _manage("shell", "-c", code, env={"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "vatcrm.settings"})
    assert result.returncode == 0, result.stderr
    assert "round trip" in result.stdout
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stdout + result.stderr


def test_the_egress_proxy_must_be_an_http_or_https_url():
    result = _manage("check", env={**PRODUCTION_ENV, "EGRESS_PROXY_URL": "socks5://user:proxy-secret@proxy:1080"})
    assert result.returncode != 0 and "EGRESS_PROXY_URL must be" in result.stderr
    assert "proxy-secret" not in result.stderr
