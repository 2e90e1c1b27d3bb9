# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 vatcrm
# MEDIA_ROOT (exports written by the worker, downloaded through web): a volume shared by both.
RUN mkdir -p /srv/media && chown vatcrm:vatcrm /srv/media

COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY --chown=vatcrm:vatcrm . .
# collectstatic and compile_catalogues (the .mo files, not committed; no GNU gettext in this image) need
# settings but no database or secret of the real deployment.
RUN export SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') PUBLIC_BASE_URL=http://build.invalid DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    && python manage.py compile_catalogues \
    && python manage.py collectstatic --noinput

USER vatcrm
EXPOSE 8000
CMD ["compose/start-web"]
