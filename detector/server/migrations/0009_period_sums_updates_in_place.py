from django.db import migrations


class Migration(migrations.Migration):
    """Every push adds to the sums of its month, quarter and all time: room on each page
    for a row's new version keeps those updates on the page (HOT), writing no index."""

    dependencies = [
        ('server', '0008_location_updates_in_place'),
    ]

    operations = [
        migrations.RunSQL("ALTER TABLE server_periodsums SET (fillfactor = 70)",
                          "ALTER TABLE server_periodsums RESET (fillfactor)"),
    ]
