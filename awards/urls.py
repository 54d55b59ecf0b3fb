"""HTML pages of this room (mounted under /awards/ by config/urls.py)."""

urlpatterns = []
