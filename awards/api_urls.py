"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

urlpatterns = []
