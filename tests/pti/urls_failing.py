"""The project's URLs plus one view that fails, to see the 500 page as a user would."""

from django.urls import path

from pti.urls import handler500, urlpatterns  # noqa: F401 -- handler500 is read by Django here


def failing_view(request):
    raise RuntimeError("panne simulée")


urlpatterns = [*urlpatterns, path("panne/", failing_view)]
