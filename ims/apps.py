from django.contrib.admin.apps import AdminConfig


class IMSAdminConfig(AdminConfig):
    """django.contrib.admin with IMS's role-based site (core.admin.IMSAdminSite)."""

    default_site = "core.admin.IMSAdminSite"
