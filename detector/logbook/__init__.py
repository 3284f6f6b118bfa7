"""Inspection records: the device's append-only, hash-chained and signed logbook, its
evidence files, sync to the office over USB serial, export and reports."""
