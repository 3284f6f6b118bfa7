"""Records that cannot be quietly changed: every stored value of a sample logbook, in
every table and column of the schema (found from the database itself, so a column added
later is covered without editing this test), is changed in turn. `log verify` must then
exit 1 naming the record, and `log`, `log show`, `report` and the statistics must show
what the signed records say, or mark the inspection as not verified, never the altered
value as verified."""

import re
import shutil
import sqlite3

import pytest

from detector.cli import main
from detector.logbook.index import LOCAL_STATE
from detector.logbook.store import DB_NAME, Logbook
from tests.logbooks import device_logbook


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A device logbook: three inspections with alerts, findings, evidence and a note."""
    where = tmp_path_factory.mktemp("sample")
    book = device_logbook(where, inspections=3, evidence_bytes=400)
    book.append("note", {"inspection": "insp-00001", "text": "hook loose"})
    book.close()
    return where


def mutations(directory):
    """(table, column, rowid) for every column of every table that has rows, except the
    device's own bookkeeping (index.LOCAL_STATE)."""
    conn = sqlite3.connect(directory / DB_NAME)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                         "'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = []
    for table in tables:
        if table in LOCAL_STATE:
            continue
        rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
        if not rowids:
            continue
        for column in [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]:
            if f"{table}.{column}" not in LOCAL_STATE:
                out.append((table, column, rowids[len(rowids) // 2]))
    conn.close()
    return out


def changed_values(conn, table, column, rowid, value):
    """Plausible other values: another row's value of the column first (a result that
    says clear instead of suspicious), then values of the same type."""
    others = [r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM {table} "
                                         f"WHERE {column} IS NOT ?", (value,))]
    if isinstance(value, int):
        return others + [value + 1, value + 7919, -value - 1]
    if isinstance(value, float):
        return others + [value + 0.1]
    if isinstance(value, bytes):
        return [bytes([value[0] ^ 1]) + value[1:]] if value else [b"x"]
    if isinstance(value, str):
        return others + [value.replace("suspicious", "clear"), value + "x"]
    return others + ["x", 1]


def mutate(directory, table, column, rowid):
    conn = sqlite3.connect(directory / DB_NAME, isolation_level=None)
    (value,) = conn.execute(f"SELECT {column} FROM {table} WHERE rowid = ?",
                            (rowid,)).fetchone()
    for new in changed_values(conn, table, column, rowid, value):
        if new == value:
            continue
        try:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (new, rowid))
        except sqlite3.IntegrityError:
            continue  # a key already taken: try the next value
        conn.close()
        return value, new
    conn.close()
    raise AssertionError(f"no other value fits {table}.{column}")


def outputs(directory, tmp_path, capsys):
    """What the commands show, with the report's generation time taken out."""
    shown = {}
    for name, argv in {"list": ["log", "--dir", str(directory)],
                       "show": ["log", "show", "insp-00001", "--dir", str(directory)],
                       "show-json": ["log", "show", "insp-00001", "--json", "--dir",
                                     str(directory)]}.items():
        main(argv)
        shown[name] = capsys.readouterr().out
    main(["report", "--device", "--dir", str(directory), "--out", str(tmp_path / "r.html"),
          "--csv", str(tmp_path / "s.csv"), "--json", str(tmp_path / "s.json")])
    capsys.readouterr()
    shown["report"] = re.sub(r"generated [^&]*", "", (tmp_path / "r.html").read_text())
    shown["csv"] = (tmp_path / "s.csv").read_text()
    shown["json"] = (tmp_path / "s.json").read_text()
    return shown


def test_the_sample_covers_every_table_of_the_schema(sample):
    covered = {table for table, _c, _r in mutations(sample)}
    conn = sqlite3.connect(sample / DB_NAME)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                         "'table' AND name NOT LIKE 'sqlite_%'")}
    assert tables - covered == {t for t in LOCAL_STATE if "." not in t}


def test_every_stored_value_changed_is_named_and_never_shown_as_verified(
        sample, tmp_path, capsys):
    pristine = outputs(sample, tmp_path, capsys)
    assert main(["log", "verify", "--dir", str(sample)]) == 0
    capsys.readouterr()
    checked = []
    for table, column, rowid in mutations(sample):
        copy = tmp_path / f"{table}-{column}"
        shutil.copytree(sample, copy)
        old, new = mutate(copy, table, column, rowid)
        what = f"{table}.{column}: {old!r} -> {new!r}"
        assert main(["log", "verify", "--dir", str(copy)]) == 1, what
        said = capsys.readouterr().out
        device = Logbook.on_device(copy).key.id
        assert re.search(r"record \d+", said) or (table == "devices" and device in said), (
            f"{what}: verify did not name the record:\n{said}")
        after = outputs(copy, tmp_path, capsys)
        for name, text in after.items():
            if text == pristine[name]:
                continue  # nothing shown changed
            # Something shown changed: only because an inspection is marked unverified.
            assert ("NO: " in after["list"] and "NOT VERIFIED" in after["report"]
                    and '"unverified": 0' not in after["json"]), (
                f"{what}: `{name}` shows a changed value as verified")
        checked.append(what)
    assert len(checked) >= 40


def test_both_signature_checks_give_the_same_verdicts():
    """libsodium's check (with the server's extra) and OpenSSL's agree on genuine,
    altered, forged and malformed signatures."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from detector.logbook import keys

    if keys._sodium_open is None:
        pytest.skip("PyNaCl is not installed: pip install -e '.[server]'")
    signer, other = (keys.DeviceKey(Ed25519PrivateKey.generate()) for _ in range(2))
    data = b"a" * 64
    good = signer.sign(data)
    flipped = bytes([good[0] ^ 1]) + good[1:]
    cases = [(signer.public, good, data, True),
             (signer.public, good, b"b" + data[1:], False),
             (signer.public, flipped, data, False),
             (other.public, good, data, False),
             (signer.public, other.sign(data), data, False),
             (signer.public, good[:63], data, False),
             (signer.public[:31], good, data, False),
             (b"\xff" * 32, good, data, False)]
    for public, signature, message, verdict in cases:
        assert keys._sodium_ok(public, signature, message) is verdict
        assert keys._openssl_ok(public, signature, message) is verdict
