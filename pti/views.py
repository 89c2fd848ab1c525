import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

from pti.forms import LoginForm

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "pti/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login_view = login_not_required(LoginView.as_view())
logout_view = auth_views.LogoutView.as_view()


@login_not_required
def accessibility(request):
    """The accessibility statement (RGAA): public, since the login page links to it."""
    return render(request, "pti/accessibility.html")


@requires_csrf_token
def server_error(request):
    """The 500 page inside the layout, or plain text if the layout itself fails."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(
            "Erreur du serveur : l'équipe technique a été prévenue.", content_type="text/plain"
        )
