# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 vatcrm

COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY --chown=vatcrm:vatcrm . .
# collectstatic needs settings but no database or secret of the real deployment.
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') PUBLIC_BASE_URL=http://build.invalid DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

USER vatcrm
EXPOSE 8000
CMD ["compose/start-web"]
