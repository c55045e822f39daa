"""The staff pages of returns (``/staff/returns/``, namespace ``returns``)."""

from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("", views.return_list, name="list"),
    path("analytics/", views.return_analytics, name="analytics"),
    path("<id:return_id>/", views.return_detail, name="detail"),
    path("<id:return_id>/decide/", views.return_decide, name="decide"),
    path("<id:return_id>/cancel/", views.return_cancel, name="cancel"),
    path("<id:return_id>/receive/", views.return_receive, name="receive"),
    path("<id:return_id>/parcel/", views.parcel_receive, name="parcel"),
    path("<id:return_id>/photos/<id:photo_id>/", views.return_photo, name="photo"),
    path("<id:return_id>/inspect/", views.return_inspect, name="inspect"),
    path("<id:return_id>/amount/", views.return_amount, name="amount"),
    path("<id:return_id>/refund/", views.return_refund, name="refund"),
    path("<id:return_id>/close/", views.return_close, name="close"),
    path("<id:return_id>/keep/", views.return_keep, name="keep"),
    path("<id:return_id>/exchange/", views.return_exchange, name="exchange"),
    path("new/<str:number>/", views.return_new, name="new"),
]
