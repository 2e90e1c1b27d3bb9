from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin signs in through allauth, so its rate limits and email verification guard the console too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("vatcrm operations")
admin.site.site_title = _("vatcrm admin")

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("ops.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("crm.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("imports/", include("imports.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("api.pages_urls")),
]
