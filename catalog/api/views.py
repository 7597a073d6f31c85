from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from catalog import services
from catalog.api.serializers import (
    ServiceInputSerializer,
    ServiceOutputSerializer,
    ServiceUpdateSerializer,
    VendorInputSerializer,
    VendorOutputSerializer,
)
from catalog.filtersets import ServiceFilterSet, VendorFilterSet
from catalog.models import Service, Vendor
from core.api.lookups import ReferenceLookupMixin
from core.api.permissions import IsStaffRole


class ServiceViewSet(
    ReferenceLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The service catalog. Everyone signed in reads it (to report against a service);
    admins and incident managers add and change services."""

    queryset = (
        Service.objects.select_related("owner_team", "calendar")
        .prefetch_related("depends_on")
        .order_by("reference")
    )
    serializer_class = ServiceOutputSerializer
    filterset_class = ServiceFilterSet
    reference_label = "Service"

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceOutputSerializer})
    def create(self, request):
        data = ServiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request.user, **data.validated_data)
        return Response(ServiceOutputSerializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateSerializer, responses={200: ServiceOutputSerializer})
    def partial_update(self, request, id=None):
        service = self.get_object()
        data = ServiceUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service = services.service_update(actor=request.user, service=service, **data.validated_data)
        return Response(ServiceOutputSerializer(self.get_queryset().get(pk=service.pk)).data)


class VendorViewSet(
    ReferenceLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The vendor registry (staff only); admins and incident managers register vendors."""

    queryset = Vendor.objects.prefetch_related("contacts").order_by("reference")
    serializer_class = VendorOutputSerializer
    permission_classes = [IsStaffRole]
    filterset_class = VendorFilterSet
    reference_label = "Vendor"

    @extend_schema(request=VendorInputSerializer, responses={201: VendorOutputSerializer})
    def create(self, request):
        data = VendorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vendor = services.vendor_create(actor=request.user, **data.validated_data)
        return Response(VendorOutputSerializer(vendor).data, status=status.HTTP_201_CREATED)
