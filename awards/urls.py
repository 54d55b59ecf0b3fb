"""HTML pages of this room (mounted under /awards/ by config/urls.py)."""

from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("verify/<str:serial>/", views.verify, name="verify"),
]
