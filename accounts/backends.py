"""Sign-in lockout (django-axes), in front of Django's model backend."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every sign-in that comes with a request (the desk's and the
    admin's login forms, the API's session login); it refuses a locked-out pair and
    otherwise leaves the sign-in to ModelBackend, next in AUTHENTICATION_BACKENDS.

    A call without a request is not a sign-in over the web: it is code in this process
    (``Client.login`` in tests, a shell). Axes would refuse it outright; here it passes to
    the model backend, with nothing counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
