"""The customer's return pages under the status page (``/track/<token>/return/``)."""

from django.urls import path

from returns import customer

app_name = "track_returns"

urlpatterns = [
    path("", customer.return_new, name="new"),
    path("cancel/", customer.return_cancel, name="cancel"),
    path("label/", customer.return_label, name="label"),
    path("feedback/", customer.return_feedback, name="feedback"),
    path("photos/<id:photo_id>/", customer.return_photo, name="photo"),
]
