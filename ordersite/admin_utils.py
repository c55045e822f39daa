"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """For ledgers and audit rows: viewable, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A tabular inline that only shows rows; they are written by services."""

    extra = 0
    show_change_link = False
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_queryset(self, request):
        # Each row shows its foreign keys: join them, not one query per row.
        shown = set(self.fields or ()) or {f.name for f in self.model._meta.fields}
        related = [
            f.name
            for f in self.model._meta.fields
            if f.is_relation and f.many_to_one and f.name in shown
        ]
        return super().get_queryset(request).select_related(*related)


class ActionOnlyAdminMixin(ReadOnlyAdminMixin):
    """Read-only rows that admin actions may act on (through services) with a permission."""

    action_permission = ""

    def has_change_permission(self, request, obj=None) -> bool:
        # Actions declared with permissions=["change"] are offered (and run) only
        # for those who hold ``action_permission``; the fields stay read-only.
        return request.user.has_perm(self.action_permission)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


def run_each(modeladmin, request, items, action, *, done: str, errors) -> int:
    """Run ``action(item)`` for each item, reporting each failure by name; returns successes."""
    from django.contrib import messages

    succeeded = 0
    for item in items:
        try:
            action(item)
        except errors as exc:
            modeladmin.message_user(request, f"{item}: {exc}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, done % {"n": succeeded}, messages.SUCCESS)
    return succeeded
