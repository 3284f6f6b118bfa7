"""Addresses in a recorded capture, replaced by pseudonyms (docs/wifi.md, the privacy
rule): a recording keeps what the adapter heard for replay and training, but no device's
real address. Each address becomes its maker's prefix (the OUI of a globally
administered address; the first byte's flag bits of a private one) followed by three
bytes of a keyed hash. The key is drawn for each recording and never written, so the
same device keeps one pseudonym within a recording and cannot be linked across
recordings or back to its address. Broadcast and multicast addresses are kept.

The inspection's own records name a suspected device by its real address (evidence);
only the recording is pseudonymised.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets

from detector.wifi.headers import WifiFrame, locally_administered


class Pseudonyms:
    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)
        self._cache: dict[bytes, bytes] = {}

    def of(self, address: bytes) -> bytes:
        if address[0] & 0x01:  # broadcast or multicast: nobody's
            return address
        known = self._cache.get(address)
        if known is None:
            digest = hmac.new(self.key, address, hashlib.sha256).digest()
            prefix = (bytes([address[0] & 0x03]) + digest[3:5] if locally_administered(address)
                      else address[:3])
            known = self._cache[address] = prefix + digest[:3]
        return known

    def frame(self, f: WifiFrame) -> WifiFrame:
        return dataclasses.replace(
            f, addr1=self.of(f.addr1),
            addr2=self.of(f.addr2) if f.addr2 is not None else None,
            addr3=self.of(f.addr3) if f.addr3 is not None else None)
