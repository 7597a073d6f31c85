"""Partial indexes of active incidents for the workspace's queues (issue 18): each returns a
queue's rows newest first and answers its capped count from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("incidents", "0004_incident_tally")]

    operations = [
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('status__in', ('open', 'in_progress', 'escalated', 'pending_vendor'))), fields=['assignee', '-created_at', 'category', 'reporter'], name='inc_active_assignee_new'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('status__in', ('open', 'in_progress', 'escalated', 'pending_vendor'))), fields=['assigned_team', '-created_at', 'category', 'reporter'], name='inc_active_team_new'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('status__in', ('open', 'in_progress', 'escalated', 'pending_vendor')), ('assigned_team__isnull', True)), fields=['-created_at', 'category', 'reporter'], name='inc_unassigned_new'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('status__in', ('open', 'in_progress', 'escalated', 'pending_vendor'))), fields=['-created_at', 'category', 'reporter', 'acknowledged_at', 'acknowledge_warn_at', 'acknowledge_due_at', 'resolve_warn_at', 'resolve_due_at'], name='inc_active_new'),
        ),
    ]
