"""The outbox in the admin: what waits, what failed and why; failed messages can be sent again."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ordersite import outbox
from ordersite.admin_utils import ActionOnlyAdminMixin
from ordersite.api import services as api_services
from ordersite.api.models import ApiKey, Scope
from ordersite.models import OutboxMessage
from ordersite.webhooks import sending as webhook_sending
from ordersite.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ActionOnlyAdminMixin, admin.ModelAdmin):
    action_permission = "ordersite.change_outboxmessage"
    list_display = [
        "created_at",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["kind", "last_error"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description=_("Send failed messages again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = sum(
            outbox.send_again(m)
            for m in queryset.filter(status=OutboxMessage.Status.FAILED)
        )
        self.message_user(
            request, _("%(n)d message(s) queued again.") % {"n": count}, messages.INFO
        )


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "rate_per_minute"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made here and shown once; afterwards only their start is shown.
    A key is revoked, never edited or deleted (its changes stay attributed)."""

    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = [
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "rate_per_minute"]
        return [
            "name",
            "prefix",
            "scopes",
            "rate_per_minute",
            *self.readonly_fields[1:],
        ]

    def get_readonly_fields(self, request, obj=None):
        return (
            []
            if obj is None
            else ["name", "prefix", "scopes", *self.readonly_fields[1:]]
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            ApiKey.objects.filter(pk=obj.pk).update(rate_per_minute=obj.rate_per_minute)
            return
        key, raw = api_services.api_key_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            rate_per_minute=form.cleaned_data["rate_per_minute"],
            actor=request.user,
        )
        obj.pk = key.pk
        self.message_user(
            request,
            _(
                "The key for %(name)s is %(key)s — copy it now: it is not stored "
                "and cannot be shown again."
            )
            % {"name": key.name, "key": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            api_services.api_key_revoke(key=key, actor=request.user)
        self.message_user(request, _("Revoked."), messages.INFO)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "owner_email", "active", "secret"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.startswith(("https://", "http://")):
            raise forms.ValidationError(_("An http(s) address."), code="scheme")
        return url


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = [
        "at",
        "event",
        "webhook_id",
        "status_code",
        "error",
        "milliseconds",
        "response",
    ]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-at", "-pk"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = [
        "name",
        "url",
        "events",
        "active",
        "failures_in_a_row",
        "disabled_reason",
    ]
    list_filter = ["active"]
    readonly_fields = ["failures_in_a_row", "disabled_reason", "created_at"]
    inlines = [WebhookAttemptInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if obj.active:
            obj.failures_in_a_row, obj.disabled_reason = 0, ""
        super().save_model(request, obj, form, change)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ActionOnlyAdminMixin, admin.ModelAdmin):
    """Every attempt with its status and response; a delivery can be sent again
    (same webhook-id, so the receiver can tell it is the same event)."""

    action_permission = "ordersite.change_webhookendpoint"
    list_display = [
        "at",
        "endpoint",
        "event",
        "webhook_id",
        "status_code",
        "error",
        "milliseconds",
    ]
    list_filter = ["endpoint", "event", "status_code"]
    search_fields = ["webhook_id"]
    list_select_related = ["endpoint"]
    actions = ["send_again"]

    @admin.action(description=_("Send these deliveries again"), permissions=["change"])
    def send_again(self, request, queryset):
        messages_ = {
            a.message_id: a.message for a in queryset.select_related("message")
        }
        count = sum(webhook_sending.redeliver(m) for m in messages_.values())
        self.message_user(
            request,
            _("%(n)d delivery(ies) queued again.") % {"n": count},
            messages.INFO,
        )
