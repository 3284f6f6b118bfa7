"""The server's tables. `Record` holds the devices' signed records exactly as the
logbook does (the same format: sequence number, kind, canonical JSON body, previous
hash, hash, Ed25519 signature); everything else is either set up by the administrator
(districts, teams, locations, offices, devices, users) or derived from verified records
(inspections and their alerts), and can be rebuilt from the records."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F
from django.db.models.functions import Collate

ROLES = ("inspector", "supervisor", "auditor", "administrator")


class District(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100, unique=True)  # as the devices record it


class Location(models.Model):
    id = models.CharField(max_length=64, primary_key=True)  # as the devices record it
    name = models.CharField(max_length=200)
    district = models.ForeignKey(District, on_delete=models.PROTECT,
                                 related_name="locations")
    risk = models.CharField(max_length=16, default="normal")  # the schedule's key
    # Of its latest verified inspection. Not indexed: the schedule orders by a due date
    # that depends on the risk too, and without an index every push's update of it is a
    # heap-only (HOT) update that writes no index (the table keeps room for it, 0008).
    last_inspected = models.DateTimeField(null=True)


class Office(models.Model):
    """A district office that pushes its logbook; it authenticates with a token whose
    SHA-256 alone is kept."""

    name = models.CharField(max_length=100, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT)
    token_sha256 = models.CharField(max_length=64, unique=True)


class Device(models.Model):
    id = models.CharField(max_length=16, primary_key=True)  # SHA-256 of its key, 16 hex
    public_key = models.BinaryField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="devices")
    head_seq = models.IntegerField(default=0)  # the last record stored, verified
    head_hash = models.CharField(max_length=64, default="0" * 64)


class Record(models.Model):
    device = models.ForeignKey(Device, on_delete=models.PROTECT)
    seq = models.IntegerField()
    kind = models.CharField(max_length=32)
    body = models.TextField()  # canonical JSON, as it was hashed
    prev = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    signature = models.BinaryField()
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "seq"], name="record_seq")]


class Inspection(models.Model):
    id = models.CharField(max_length=64, primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.PROTECT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True)
    location_id_text = models.CharField(max_length=64)  # as recorded, even if unknown here
    location_name = models.CharField(max_length=200, blank=True)  # as recorded
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True)
    # Whose supervisors see it: the location's district, or the team's when the server
    # does not know the location. Kept on the row so that a district's pages read only
    # its own rows (an index) instead of joining every inspection to its location.
    # No index of its own: (district, -started) below serves every lookup by district,
    # and with a second one the planner read all of a district's inspections through it
    # to count a quarter (120,000 rows instead of 6,000).
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True,
                                 db_index=False)
    inspector = models.CharField(max_length=100, blank=True)
    started = models.DateTimeField()
    ended = models.DateTimeField(null=True)
    result = models.CharField(max_length=32, blank=True)
    coverage = models.FloatField(null=True)
    peak_level = models.CharField(max_length=32, blank=True)
    findings = models.IntegerField(default=0)  # marked suspicious or device
    evidence = models.JSONField(default=list)  # SHA-256 of every file its records name
    first_seq = models.IntegerField()
    last_seq = models.IntegerField()
    verified = models.BooleanField(default=False)  # only ever set by the server's check

    class Meta:
        indexes = [models.Index(fields=["location", "-started"]),
                   # a location's history is asked for by the id the devices recorded
                   models.Index(fields=["location_id_text", "-started"]),
                   models.Index(fields=["team", "-started"]),
                   models.Index(fields=["district", "-started"]),
                   models.Index(fields=["-started"]),
                   # which inspections name an evidence file (downloads are allowed
                   # only through an inspection the user may see)
                   GinIndex(fields=["evidence"], opclasses=["jsonb_path_ops"],
                            name="inspection_evidence_gin")]


class MonthCount(models.Model):
    """Inspections per month, district and result: a running count kept by the ingest
    (derive.py) so that a year's chart for the whole city reads a few thousand rows, not
    every inspection. Derived like the inspections, and rebuildable from them."""

    month = models.DateField()  # its first day (UTC)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True)
    verified = models.BooleanField()
    result = models.CharField(max_length=32, blank=True)
    inspections = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["month", "district", "verified", "result"], name="month_count_key",
            nulls_distinct=False)]


class MonthChange(models.Model):
    """How many times the inspections started in a month, in a district, have been
    written (stored or changed by a push): the period statistics are kept ready under
    these numbers (statistics.py) and counted again only once one of them has moved."""

    month = models.DateField()  # its first day (UTC)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True)
    writes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["month", "district"], name="month_change_key", nulls_distinct=False)]


class PeriodSums(models.Model):
    """What the statistics of a period (a month, a quarter, or all time) add up for one
    location, over the inspections of one district: a city's quarter is read from these
    (one narrow row per restroom) instead of from its inspections. Counted from the
    inspections, a period and district at a time, when the statistics are asked for and
    the writes of that district in that period (MonthChange) have moved since
    (PeriodSumsCounted; statistics.py). Derived, and rebuildable."""

    period = models.CharField(max_length=8)  # as the statistics name it: 2026-11, 2026Q4, all
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True)
    location = models.CharField(max_length=64)  # as recorded; NO_LOCATION when none was
    name = models.CharField(max_length=200, blank=True)  # in its first inspection here
    first_started = models.DateTimeField()  # that inspection's start and id: whose name
    first_id = models.CharField(max_length=64)  # counts if the location is in two districts
    inspections = models.IntegerField()
    unverified = models.IntegerField()
    # the verified ones by result ("open": none, or one the statistics do not know)
    clear = models.IntegerField()
    incomplete = models.IntegerField()
    suspicious = models.IntegerField()
    device_found = models.IntegerField()
    open = models.IntegerField()
    coverage_milli = models.IntegerField()  # of the verified, in thousandths
    findings = models.IntegerField()  # of the verified

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["period", "district", "location"], name="period_sums_key",
            nulls_distinct=False)]
        # a period's rows in the order the statistics list them (as Python sorts text)
        indexes = [models.Index(F("period"), Collate("location", "C"),
                                name="period_sums_in_order")]


class PeriodSumsCounted(models.Model):
    """The writes (MonthChange.writes summed over the period's months) of a district
    that its PeriodSums of a period were counted at: they are counted again once the
    writes have moved."""

    period = models.CharField(max_length=8)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True)
    writes = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["period", "district"], name="period_sums_counted_key",
            nulls_distinct=False)]


class Alert(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="alerts")
    seq = models.IntegerField()  # its record
    level = models.CharField(max_length=32)
    reason = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict)


class Evidence(models.Model):
    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=64)
    received = models.DateTimeField(auto_now_add=True)
    checked = models.DateTimeField(null=True)  # last found intact on disk


class Profile(models.Model):
    """What a user may see: an inspector their team's inspections, a supervisor their
    district, an auditor everything (read-only), an administrator the set-up."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=16, choices=[(r, r) for r in ROLES])
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True)


class LoginFailure(models.Model):
    """Failed logins, for the rate limit (per user name and per address)."""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["address", "at"])]
