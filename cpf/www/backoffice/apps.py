from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin, served by the back-office site that asks agents for their second factor
    (every ``admin.site.register`` of the domain apps lands on it)."""

    default_site = "cpf.www.backoffice.site.BackOfficeSite"
