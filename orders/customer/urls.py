from django.urls import path

from orders.customer import pay, views

app_name = "track"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("<str:token>/", views.order_page, name="order"),
    path("<str:token>/confirm/", views.confirm, name="confirm"),
    path("<str:token>/problem/", views.problem, name="problem"),
    path("<str:token>/message/", views.message, name="message"),
    path("<str:token>/emails/", views.email_preferences, name="emails"),
    path("<str:token>/read-back/", views.read_back, name="read_back"),
    path("<str:token>/pay/", pay.pay, name="pay"),
    path("<str:token>/delay/", views.delay_choice, name="delay"),
    path(
        "<str:token>/compensation/",
        views.compensation_accept,
        name="compensation",
    ),
]
