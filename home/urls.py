"""The home page. Included by pti/urls.py inside the `pti` namespace (this module names no
`app_name`), so that its name stays `pti:home` for every link and redirection to it."""

from django.urls import path

from home import views

urlpatterns = [
    path("", views.home, name="home"),
]
