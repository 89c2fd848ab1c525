from django.conf import settings

from pti.navigation import navigation_for


def layout(request):
    """What the base layout shows on every page: the département and the navigation."""
    return {
        "department_name": settings.PTI_DEPARTMENT_NAME,
        "department_logo": settings.PTI_LOGO,
        "brand_colour": settings.PTI_BRAND_COLOUR,
        "navigation": navigation_for(request),
    }
