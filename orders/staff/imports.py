"""Importing orders from a CSV file: upload, see every problem by row and
column, start, and watch the progress."""

from django import forms
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orders.intake import imports
from orders.intake.models import ImportJob
from ordersite.staff import staff_required

MAX_BYTES = 5 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma- or semicolon-separated, at most 5 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."), code="size")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not UTF-8 text; save it as “CSV UTF-8”."),
                code="encoding",
            ) from None
        if "\x00" in text:
            raise forms.ValidationError(_("The file is not a CSV file."), code="binary")
        return upload.name, text


@staff_required("orders.enter_order")
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        job = imports.import_check(filename=name, text=text, actor=request.user)
        if not job.errors and job.total:
            imports.import_start(job=job)
        return redirect("orders:import", job_id=job.pk)
    return render(
        request,
        "staff/orders/import_upload.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "required": imports.REQUIRED,
            "jobs": ImportJob.objects.select_related("uploaded_by")[:10],
        },
    )


@staff_required("orders.enter_order")
def import_template(request):
    response = HttpResponse(imports.TEMPLATE, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders-template.csv"'
    return response


@staff_required("orders.enter_order")
def import_job(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    return render(request, "staff/orders/import_job.html", {"job": job})


@require_POST
@staff_required("orders.enter_order")
def import_run(request, job_id):
    """Import the valid orders of a checked file (the rest were shown by row)."""
    job = get_object_or_404(ImportJob, pk=job_id)
    imports.import_start(job=job)
    return redirect("orders:import", job_id=job.pk)


@staff_required("orders.enter_order")
def import_progress(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "total": job.total,
            "done": job.done,
            "percent": job.percent,
            "created": job.created,
            "skipped": job.skipped,
            "failed": job.failed,
        }
    )
