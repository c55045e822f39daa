"""Typed facts and the outbox, step 1: the new fields beside the old ones."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0013_fulfilment_and_correction_events'),
        ('ordersite', '0001_outbox'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='order',
            options={'ordering': ['-placed_at', '-pk'], 'permissions': [('check_order', 'Can record the first check of an order'), ('verify_order', 'Can confirm the second check of an order'), ('allocate_order', 'Can run the inventory check of an order'), ('record_payment', 'Can record payments and mark orders paid'), ('fulfil_order', 'Can pick and pack orders'), ('ship_order', 'Can ship orders and mark them delivered'), ('complete_order', 'Can complete delivered orders'), ('hold_order', 'Can put orders on hold and release them'), ('cancel_order', 'Can cancel orders'), ('enter_order', 'Can enter phone and email orders'), ('grant_discount', 'Can apply discount codes and give discounts with a reason'), ('set_manual_price', 'Can set a manual price with a reason'), ('refund_order', 'Can refund payments and issue store credit'), ('answer_customer', 'Can answer customers and resolve the problems they report')], 'verbose_name': 'order', 'verbose_name_plural': 'orders'},
        ),
        migrations.AddField(
            model_name='notification',
            name='delivery',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notification', to='ordersite.outboxmessage'),
        ),
        migrations.AddField(
            model_name='notification',
            name='skipped',
            field=models.BooleanField(default=False, help_text='An optional email the customer chose not to get.', verbose_name='not sent (opted out)'),
        ),
        migrations.AddField(
            model_name='orderevent',
            name='actor_kind',
            field=models.CharField(choices=[('staff', 'Staff member'), ('system', 'System'), ('customer', 'Customer'), ('integration', 'Integration')], default='system', max_length=12, verbose_name='actor'),
        ),
        migrations.AddField(
            model_name='orderevent',
            name='integration',
            field=models.CharField(blank=True, help_text='The API client that acted, for an integration.', max_length=100, verbose_name='integration'),
        ),
        migrations.AddField(
            model_name='refund',
            name='delivery',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refund', to='ordersite.outboxmessage'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('order_received', 'Order received'), ('order_read_back', 'Please check your order'), ('order_verified', 'Order confirmed'), ('order_backordered', 'Waiting for stock'), ('order_moving_again', 'Moving again'), ('order_split', 'Ships in two parts'), ('order_paid', 'Payment received'), ('order_shipped', 'Shipped'), ('order_partly_shipped', 'Part of the order shipped'), ('order_delivered', 'Delivered: did you get everything?'), ('order_completed', 'Thank you'), ('order_cancelled', 'Cancelled'), ('order_refunded', 'Refund made'), ('order_balance_due', 'Payment still due'), ('order_message', 'Reply from the shop')], max_length=40, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='orderevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='staff member'),
        ),
        migrations.AlterField(
            model_name='orderevent',
            name='type',
            field=models.CharField(choices=[('placed', 'Order placed'), ('corrected', 'Corrected before verification'), ('note_added', 'Internal note added'), ('held', 'Put on hold'), ('hold_released', 'Hold released'), ('cancelled', 'Cancelled'), ('first_check_recorded', 'First check recorded'), ('verified', 'Verified'), ('sent_back', 'Sent back to the first checker'), ('allocated', 'Stock allocated'), ('backordered', 'Backordered'), ('split_off', 'Backordered lines split off'), ('split_from', 'Split from another order'), ('discount_code_applied', 'Discount code applied'), ('discount_granted', 'Discount given'), ('discount_removed', 'Discount removed'), ('payment_started', 'Payment started'), ('payment_authorized', 'Payment authorized'), ('payment_captured', 'Payment captured'), ('payment_failed', 'Payment failed'), ('payment_void_requested', 'Payment void requested'), ('payment_voided', 'Payment voided'), ('balance_requested', 'Balance requested'), ('paid', 'Paid'), ('invoice_issued', 'Invoice issued'), ('credit_note_issued', 'Credit note issued'), ('refund_requested', 'Refund requested'), ('refunded', 'Refunded'), ('refund_failed', 'Refund failed'), ('refund_retried', 'Refund retried'), ('picking_started', 'Picking started'), ('pack_check_failed', 'Pack check failed'), ('packed', 'Packed'), ('parcel_shipped', 'Parcel shipped'), ('shipped', 'Shipped'), ('delivered', 'Delivered'), ('completed', 'Completed'), ('read_back_sent', 'Read-back sent'), ('read_back_confirmed', 'Read-back confirmed'), ('read_back_disputed', 'Read-back disputed'), ('customer_message', 'Message from the customer'), ('staff_replied', 'Reply to the customer'), ('problem_reported', 'Problem reported'), ('problem_resolved', 'Problem resolved'), ('email_preferences_changed', 'Email preferences changed'), ('email_queued', 'Email queued')], max_length=40, verbose_name='type'),
        ),
    ]
