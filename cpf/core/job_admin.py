"""procrastinate's admin of background jobs, without its inline styles: the site's
Content-Security-Policy allows no style attribute (config/settings/base.py), so the job
summary and arguments are rendered with classes and a style sheet of our own."""

from __future__ import annotations

import json

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from procrastinate.contrib.django import admin as procrastinate_admin
from procrastinate.contrib.django.models import ProcrastinateJob

from . import clock


class JobAdmin(procrastinate_admin.ProcrastinateJobAdmin):
    class Media:
        css = {"all": ["core/admin/jobs.css"]}

    @admin.display(description="Args")
    def pretty_args(self, instance: ProcrastinateJob) -> str:
        indent = 2 if len(instance.args) > 1 or len(str(instance.args)) > 30 else None
        shown = json.dumps(instance.args, indent=indent)
        if len(shown) > 2000:
            shown = shown[:2000] + "..."
        return format_html('<pre class="cpf-job-args">{}</pre>', shown)

    @admin.display(description="Summary")
    def summary(self, instance: ProcrastinateJob) -> str:
        last_event = instance.procrastinateevent_set.first()
        if last_event is None:
            return ""
        context = {"last_event": last_event, "job": instance, "now": clock.now()}
        return mark_safe(render_to_string("core/admin/job_summary.html", context).strip())


admin.site.unregister(ProcrastinateJob)
admin.site.register(ProcrastinateJob, JobAdmin)
