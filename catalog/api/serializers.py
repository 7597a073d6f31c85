from rest_framework import serializers

from catalog.models import Criticality, Service, Vendor, VendorContact
from core.api.serializers import StrictFieldsMixin, StrictInputSerializer


class ServiceOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")
    owner_team = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    calendar = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    depends_on = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "criticality",
            "owner_team",
            "depends_on",
            "calendar",
            "is_active",
            "created_at",
            "updated_at",
        ]


class ServiceInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    criticality = serializers.ChoiceField(choices=Criticality.choices, default=Criticality.MEDIUM)
    owner_team = serializers.CharField(required=False, allow_null=True, default=None)
    depends_on = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    calendar = serializers.CharField(required=False, allow_null=True, default=None)


class ServiceUpdateSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)
    owner_team = serializers.CharField(required=False, allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField(), required=False)
    calendar = serializers.CharField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class VendorContactSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = VendorContact
        fields = ["name", "role", "email", "phone"]


class VendorOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")
    contacts = VendorContactSerializer(many=True, read_only=True)

    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "website",
            "support_portal",
            "notes",
            "contacts",
            "is_active",
            "created_at",
            "updated_at",
        ]


class VendorInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    website = serializers.URLField(required=False, allow_blank=True, default="")
    support_portal = serializers.URLField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    contacts = VendorContactSerializer(many=True, required=False, default=list)
