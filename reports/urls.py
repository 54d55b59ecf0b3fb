"""HTML pages of this room (mounted under /reports/ by config/urls.py)."""

urlpatterns = []
