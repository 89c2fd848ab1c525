"""Who may open which page. Views declare the roles they serve; objects are then looked up
through querysets scoped to the user, so that a guessed URL finds nothing (404)."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from pti.enums import Role

# The pact is a public policy document: every role that works in the pact may read it.
PACT_READERS = frozenset({Role.PILOT, Role.MANAGER, Role.REFERENT, Role.OPERATOR, Role.PARTNER})
PILOTS = frozenset({Role.PILOT})


def role_required(roles):
    """Refuse the view (403) to users whose role is not in `roles`."""
    roles = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator
