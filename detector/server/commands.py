"""`detector server ACTION`: set up and run the inspection server (docs/server.md).

The configuration comes from the environment (settings.py lists it). Actions: migrate,
run, add-district, add-team, add-location, add-office (prints the office's push token
once), add-device (from an office logbook's device keys, or a key in hex), add-user (the
password from a file or the terminal), check-evidence."""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from detector.errors import DetectorError


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detector.server.settings")
    try:
        import django
    except ImportError:
        raise DetectorError("the server needs its extra: pip install -e '.[server]'") from None
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise DetectorError(str(exc)) from None
    from detector.server.schedule import BadPolicy, policy

    try:
        policy()  # a bad DETECTOR_SCHEDULE is named now, not on the first page shown
    except BadPolicy as exc:
        raise DetectorError(f"DETECTOR_SCHEDULE: {exc}") from None


def server_command(args: Any) -> int:
    setup()
    from django.db import DatabaseError

    try:
        return ACTIONS[args.action](args)
    except DatabaseError as exc:
        raise DetectorError(f"database: {str(exc).strip().splitlines()[0]}") from None


def _migrate(args: Any) -> int:
    from django.core.management import call_command

    call_command("migrate", verbosity=1)
    from detector.server import models as m
    from detector.server.statistics import count_every_period

    months = [p for p in count_every_period(m.MonthChange.objects.all()) if "-" in p]
    if months:
        plural = "s" if len(months) > 1 else ""
        print(f"statistics counted: {len(months)} month{plural} ({months[0]} to "
              f"{months[-1]}), their quarters, all time")
    return 0


def _run(args: Any) -> int:
    from waitress import serve

    from detector.server.wsgi import application

    print(f"serving on http://{args.host}:{args.port}/ (put a TLS proxy in front of it)")
    serve(application, host=args.host, port=args.port, threads=8)
    return 0


def _district(name: str):
    from detector.server import models as m

    found = m.District.objects.filter(name=name).first()
    if found is None:
        raise DetectorError(f"no district {name!r} (add-district first)")
    return found


def _add_district(args: Any) -> int:
    from detector.server import models as m

    m.District.objects.get_or_create(name=args.name)
    print(f"district {args.name}")
    return 0


def _add_team(args: Any) -> int:
    from detector.server import models as m

    m.Team.objects.update_or_create(name=args.name, defaults={"district": _district(args.district)})
    print(f"team {args.name} in {args.district}")
    return 0


def _add_location(args: Any) -> int:
    from detector.server import models as m

    m.Location.objects.update_or_create(id=args.name, defaults={
        "name": args.title or args.name, "district": _district(args.district),
        "risk": args.risk})
    print(f"location {args.name} ({args.risk} risk) in {args.district}")
    return 0


def _add_office(args: Any) -> int:
    from detector.server import models as m

    token = secrets.token_urlsafe(32)
    m.Office.objects.update_or_create(name=args.name, defaults={
        "district": _district(args.district),
        "token_sha256": hashlib.sha256(token.encode()).hexdigest()})
    print(f"office {args.name}: its push token (shown once; keep it in a file readable "
          f"by the office only):\n{token}")
    return 0


def _add_device(args: Any) -> int:
    from detector.logbook.keys import device_id
    from detector.logbook.store import Logbook
    from detector.server import models as m

    office = m.Office.objects.filter(name=args.office).first()
    if office is None:
        raise DetectorError(f"no office {args.office!r} (add-office first)")
    keys: list[bytes] = []
    if args.key:
        try:
            keys.append(bytes.fromhex(args.key))
        except ValueError:
            raise DetectorError("--key: expected the device's public key in hex") from None
    if args.logbook:
        with Logbook(Path(args.logbook)) as book:
            keys.extend(book.public_key(d) for d in book.devices())
    for key in keys:
        m.Device.objects.update_or_create(id=device_id(key), defaults={
            "public_key": key, "office": office})
        print(f"device {device_id(key)} for office {office.name}")
    return 0


def _add_user(args: Any) -> int:
    from django.contrib.auth.models import User
    from django.contrib.auth.password_validation import ValidationError, validate_password

    from detector.server import models as m

    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    else:
        password = getpass.getpass(f"password for {args.name}: ")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise DetectorError(f"password: {' '.join(exc.messages)}") from None
    team = m.Team.objects.filter(name=args.team).first() if args.team else None
    if args.team and team is None:
        raise DetectorError(f"no team {args.team!r}")
    district = _district(args.district) if args.district else None
    user, _ = User.objects.get_or_create(username=args.name)
    user.set_password(password)
    user.save()
    m.Profile.objects.update_or_create(user=user, defaults={
        "role": args.role, "district": district, "team": team})
    print(f"user {args.name}: {args.role}")
    return 0


def _check_evidence(args: Any) -> int:
    from django.utils import timezone

    from detector.server import models as m
    from detector.server.evidence_store import store

    files = store()
    bad = []
    for row in m.Evidence.objects.all().iterator():
        if files.read(row.sha256) is None:
            bad.append(row.sha256)
        else:
            row.checked = timezone.now()
            row.save(update_fields=["checked"])
    for sha in bad:
        print(f"evidence {sha}: missing or damaged")
    print(f"{m.Evidence.objects.count() - len(bad)} evidence files intact, {len(bad)} not")
    return 1 if bad else 0


def _demo(args: Any) -> int:
    """A small city to look at: two districts of 12 restrooms, three months of
    inspections by simulated devices, and a user of each role (admin, supervisor,
    inspector, auditor) with the password from --password-file (or a new one, shown)."""
    from django.contrib.auth.models import User

    from detector.server import models as m
    from detector.server.generator import CityPlan, plan_city
    from detector.server.populate import populate

    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(12)
        print(f"password of the demo users: {password}")
    tokens = populate(plan_city(CityPlan(districts=2, restrooms=12, months=3,
                                         start="2026-09-01")))
    district = m.District.objects.order_by("name").first()
    team = m.Team.objects.filter(district=district).first()
    for username, role in (("admin", "administrator"), ("supervisor", "supervisor"),
                           ("inspector", "inspector"), ("auditor", "auditor")):
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        m.Profile.objects.update_or_create(user=user, defaults={
            "role": role, "district": district if role == "supervisor" else None,
            "team": team if role == "inspector" else None})
    print(f"{m.Inspection.objects.count()} inspections of {m.Location.objects.count()} "
          f"restrooms; users admin, supervisor, inspector, auditor; office tokens: "
          + ", ".join(f"{k}: {v}" for k, v in tokens.items()))
    return 0


ACTIONS = {"migrate": _migrate, "run": _run, "add-district": _add_district,
           "add-team": _add_team, "add-location": _add_location, "add-office": _add_office,
           "add-device": _add_device, "add-user": _add_user, "check-evidence": _check_evidence,
           "demo": _demo}
