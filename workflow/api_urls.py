"""Lifecycle endpoints besides the initiative router: the inbox and audit verification."""

urlpatterns = []
