from django.contrib.admin.apps import AdminConfig


class OrganisersAdminConfig(AdminConfig):
    """Django's admin, with the organisers' site (config/admin.py) as the default site."""

    default_site = "config.admin.OrganisersAdminSite"
