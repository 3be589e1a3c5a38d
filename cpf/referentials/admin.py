"""The national referentials in the back-office: agents browse and search them; nobody edits
or deletes them here, since ``manage.py import_referentials`` owns their content."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    BmoAreaCommune,
    Certification,
    CertificationJob,
    CertificationSuccession,
    Commune,
    Department,
    FormacodeTopic,
    Job,
    JobDomain,
    JobSubDomain,
    JobTension,
    JobTitle,
    NsfSpecialty,
    PostalCode,
    RecruitmentProjects,
    ReferentialImport,
    Region,
    SkillBlock,
    TensionAreaCommune,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: imported rows are changed by the next import, never by hand."""

    list_per_page = 50

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BigTableAdmin(ReadOnlyAdmin):
    # Tens of thousands of rows: skip the extra COUNT(*) of the whole table on each search.
    show_full_result_count = False


class ReadOnlyTabularInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "latitude", "longitude"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(BigTableAdmin):
    list_display = ["insee_code", "postal_code", "name_with_article", "kind", "department", "population"]
    list_filter = ["kind", "region"]
    list_select_related = ["department"]
    # The folded name finds "clemenciat", the official one "Clémenciat".
    search_fields = ["=insee_code", "=postal_code", "search_name", "name_with_article"]


@admin.register(PostalCode)
class PostalCodeAdmin(BigTableAdmin):
    list_display = ["postal_code", "insee_code", "commune_name", "locality", "delivery_label"]
    search_fields = ["=postal_code", "=insee_code", "commune_name", "locality"]


@admin.register(JobDomain)
class JobDomainAdmin(ReadOnlyAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(JobSubDomain)
class JobSubDomainAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "domain"]
    list_filter = ["domain"]
    list_select_related = ["domain"]
    search_fields = ["code", "label"]


class JobTitleInline(ReadOnlyTabularInline):
    model = JobTitle
    fk_name = "job"
    fields = ["ogr_code", "label", "main_job", "is_main_title", "rarely_used"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "parent", "sub_domain"]
    list_filter = [("parent", admin.EmptyFieldListFilter), "sub_domain__domain"]
    list_select_related = ["parent", "sub_domain"]
    search_fields = ["code", "label"]
    inlines = [JobTitleInline]


@admin.register(JobTitle)
class JobTitleAdmin(BigTableAdmin):
    list_display = ["ogr_code", "label", "job", "main_job", "is_main_title", "rarely_used"]
    list_filter = ["is_main_title", "rarely_used"]
    list_select_related = ["job", "main_job"]
    search_fields = ["=ogr_code", "=job__code", "=main_job__code", "label", "search_label"]


@admin.register(NsfSpecialty)
class NsfSpecialtyAdmin(ReadOnlyAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


class CertificationJobInline(ReadOnlyTabularInline):
    model = CertificationJob
    verbose_name_plural = "métiers visés (ROME)"


class SkillBlockInline(ReadOnlyTabularInline):
    model = SkillBlock
    fields = ["code", "title"]


@admin.register(FormacodeTopic)
class FormacodeTopicAdmin(ReadOnlyAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(Certification)
class CertificationAdmin(BigTableAdmin):
    list_display = ["code", "title", "kind", "level", "registry_status", "title_source", "valid_until"]
    list_filter = ["kind", "registry_status", "title_source", "is_active", "level"]
    search_fields = ["=code", "title", "type_code"]
    inlines = [CertificationJobInline, SkillBlockInline]


@admin.register(CertificationSuccession)
class CertificationSuccessionAdmin(BigTableAdmin):
    list_display = ["predecessor", "successor"]
    list_select_related = ["predecessor", "successor"]
    search_fields = ["=predecessor__code", "=successor__code"]


@admin.register(CertificationJob)
class CertificationJobAdmin(BigTableAdmin):
    list_display = ["certification", "job"]
    list_select_related = ["certification", "job"]
    search_fields = ["=certification__code", "=job__code"]


@admin.register(SkillBlock)
class SkillBlockAdmin(BigTableAdmin):
    list_display = ["code", "certification_id", "title"]
    search_fields = ["=code", "=certification__code", "title"]


@admin.register(RecruitmentProjects)
class RecruitmentProjectsAdmin(BigTableAdmin):
    list_display = [
        "fap_code",
        "fap_label",
        "area_code",
        "area_name",
        "department_code",
        "projects",
        "difficult_projects",
        "seasonal_projects",
    ]
    list_filter = ["family_code", "region_code"]
    search_fields = ["=fap_code", "fap_label", "=area_code", "area_name", "=department_code"]


@admin.register(BmoAreaCommune)
class BmoAreaCommuneAdmin(BigTableAdmin):
    list_display = ["insee_code", "area_code", "area_name"]
    search_fields = ["=insee_code", "=area_code", "area_name"]


@admin.register(JobTension)
class JobTensionAdmin(BigTableAdmin):
    list_display = ["job", "area_code", "job_offers", "jobseekers", "tension"]
    list_filter = ["tension"]
    list_select_related = ["job"]
    search_fields = ["=job__code", "job__label", "=area_code"]


@admin.register(TensionAreaCommune)
class TensionAreaCommuneAdmin(BigTableAdmin):
    list_display = ["insee_code", "area_code", "area_name"]
    search_fields = ["=insee_code", "=area_code", "area_name"]


@admin.register(ReferentialImport)
class ReferentialImportAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "rows", "sha256", "imported_at"]
