"""REST API of a person's notifications: list (``?unread=1`` for the unread only), mark one read,
mark all read. Each person sees only their own (404 for anyone else's)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from .actions import notification_open, notifications_read_all
from .models import Notification
from .selectors import notifications_of


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "subject", "body", "url", "created_at", "read_at", "read"]

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="only the unread")])
)
class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notifications_of(user=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true", "yes"):
            qs = qs.filter(read_at=None)
        return qs


class NotificationReadView(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer})
    def post(self, request, pk: int):
        try:
            notification = notification_open(actor=request.user, notification_id=min(pk, 2**63 - 1))
        except Notification.DoesNotExist:
            raise NotFound(_("Không tìm thấy thông báo.")) from None
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllSerializer(serializers.Serializer):
    read = serializers.IntegerField(help_text="how many were unread")


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses={200: NotificationReadAllSerializer})
    def post(self, request):
        return Response({"read": notifications_read_all(actor=request.user)})
