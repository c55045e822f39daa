"""``{{ amount|money:currency }}``: every amount on a page or in an email, one way."""

from django import template

from ordersite.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=""):
    return format_money(amount, currency)


@register.filter
def signed_money(amount, currency=""):
    return format_money(amount, currency, sign=True)
