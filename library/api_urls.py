"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("library/", api.LibraryList.as_view(), name="library-list"),
    path("library/<str:pk>/adoptions/", api.AdoptionList.as_view(), name="library-adoptions"),
]
