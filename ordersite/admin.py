"""The outbox in the admin: what waits, what failed and why; failed messages can be sent again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ordersite import outbox
from ordersite.admin_utils import ActionOnlyAdminMixin
from ordersite.models import OutboxMessage


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
