from django.conf import settings

from vatcrm.celery import app


def test_celery_is_configured_from_django_settings():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_acks_late is True
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
