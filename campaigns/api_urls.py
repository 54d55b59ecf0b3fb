"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("campaigns/", api.CampaignListCreate.as_view(), name="campaign-list"),
    path("campaigns/audience/", api.CampaignAudience.as_view(), name="campaign-audience"),
    path("campaigns/reach/", api.CampaignReach.as_view(), name="campaign-reach"),
    path("campaigns/<str:pk>/", api.CampaignDetail.as_view(), name="campaign-detail"),
]
