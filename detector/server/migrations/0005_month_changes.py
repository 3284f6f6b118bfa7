import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('server', '0004_month_counts'),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('writes', models.BigIntegerField(default=0)),
                ('district', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to='server.district')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'district'), name='month_change_key', nulls_distinct=False)],
            },
        ),
        # The inspections already stored, each written once.
        migrations.RunSQL(
            "INSERT INTO server_monthchange (month, district_id, writes) "
            "SELECT date_trunc('month', started AT TIME ZONE 'UTC')::date, district_id, "
            "count(*) FROM server_inspection GROUP BY 1, 2",
            reverse_sql=migrations.RunSQL.noop),
    ]
