from django.contrib import admin
from django.urls import include, path

from pti import views

pti_patterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("accessibilite/", views.accessibility, name="accessibility"),
]

urlpatterns = [
    path("", include((pti_patterns, "pti"))),
    path("admin/", admin.site.urls),
]

handler500 = "pti.views.server_error"
