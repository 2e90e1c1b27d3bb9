from django.http import HttpRequest


def open_alerts(request: HttpRequest) -> dict:
    """The current workspace's open alerts, for the navigation: one count on the partial index."""
    from crm.models import Alert

    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"open_alert_count": Alert.objects.filter(workspace=request.workspace).open().count()}
