"""The scanner protocol: framing, CRC, messages, and a decoder that survives anything."""

import binascii
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.rf import wire
from detector.rf.wire import MAX_ENCODED, StreamDecoder, cobs_decode, cobs_encode
from detector_firmware import protocol as P

payloads = st.binary(min_size=0, max_size=600)


def test_crc_matches_the_standard_check_value():
    assert P.crc16(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE


@given(payloads)
def test_firmware_crc_equals_binascii(data):
    assert P.crc16(data) == binascii.crc_hqx(data, 0xFFFF)


@given(payloads)
def test_host_crc_is_the_firmware_crc(data):
    assert wire.crc16(data) == P.crc16(data) == binascii.crc_hqx(data, 0xFFFF)


@given(payloads)
def test_cobs_round_trip_and_no_zero_inside(data):
    encoded = P.cobs_encode(data)
    assert 0 not in encoded
    assert P.cobs_decode(encoded) == data
    assert cobs_decode(encoded) == data


# Runs of non-zero bytes around the 254-byte block length, where encoders may differ.
runs = st.lists(st.one_of(st.integers(0, 3), st.integers(250, 260), st.integers(505, 510)),
                max_size=6)


@given(runs, st.binary(max_size=40))
def test_host_and_firmware_cobs_read_each_other(lengths, noise):
    """The host's encoder and decoder (corncobs where it is installed, else the Python
    ones) and the firmware's are interchangeable on the wire."""
    data = b"\x00".join(bytes([7]) * n for n in lengths) + noise
    for encoded in (cobs_encode(data), wire.py_cobs_encode(data), P.cobs_encode(data)):
        assert 0 not in encoded
        assert cobs_decode(encoded) == wire.py_cobs_decode(encoded) == data
        assert P.cobs_decode(encoded) == data
    assert wire.py_cobs_encode(data) == P.cobs_encode(data)


@given(st.binary(min_size=1, max_size=300).filter(lambda b: 0 not in b))
def test_host_decoders_agree_on_garbage(block):
    """Any zero-free block, valid or not: both host decoders accept the same blocks with
    the same result, or both refuse (None)."""
    assert cobs_decode(block) == wire.py_cobs_decode(block)


@given(st.integers(0, 255), st.integers(0, 0xFFFF), payloads)
def test_frames_decode_to_what_was_sent(msg_type, seq, payload):
    frame = P.pack_frame(msg_type, seq, payload)
    assert frame.endswith(b"\x00") and frame.count(0) == 1
    assert P.unpack_frame(frame[:-1]) == (msg_type, seq, payload)
    assert StreamDecoder().feed(frame) == [(msg_type, seq, payload)]


def test_messages_round_trip():
    hello = P.unpack_hello(P.pack_hello((1, 2, 3), 7, [("A", [5865, 5845]), ("R", [5658])]))
    assert hello == {"protocol": P.PROTOCOL_VERSION, "firmware": (1, 2, 3), "capabilities": 7,
                     "tables": [("A", [5865, 5845]), ("R", [5658])]}
    cfg = P.unpack_configure(P.pack_configure(7, 30000, 2400, 1000, 84, 4, 1000))
    assert cfg["settle_us"] == 30000 and cfg["cc_count"] == 84
    assert cfg["cc_dwell_us"] == P.CC_DWELL_US
    slow = P.pack_configure(7, 30000, 2400, 1000, 84, 4, 1000, cc_dwell_us=2936)
    assert P.unpack_configure(slow)["cc_dwell_us"] == 2936
    # The default dwell is left out, so firmware before 1.1.0 accepts the message.
    assert len(P.pack_configure(7, 30000, 2400, 1000, 84, 4, 1000)) == len(slow) - 2
    even = P.unpack_sweep(P.pack_sweep(3, 2, 123, 456, [2400000, 2401000, 2402000],
                                       [-9000, -4550, -10100], True))
    assert even["freqs_khz"] == [2400000, 2401000, 2402000]
    assert even["centi_dbm"] == [-9000, -4550, -10100]
    uneven = P.unpack_sweep(P.pack_sweep(1, 1, 1, 2, [5658000, 5695000], [-9100, -3000], False))
    assert uneven["freqs_khz"] == [5658000, 5695000] and not uneven["even"]
    assert P.unpack_broadband(P.pack_broadband(2, 99, -4321))["centi_dbm"] == -4321
    assert P.unpack_status(P.pack_status(5, 6, 7, 1, 3))["reset_cause"] == 3
    assert P.unpack_error(P.pack_error(4, "adc stuck"))["text"] == "adc stuck"
    assert P.unpack_ack(P.pack_ack(P.START, 9)) == {"type": P.START, "seq": 9}


def frames(n, start=0):
    return [P.pack_frame(P.BROADBAND, start + i, P.pack_broadband(2, i, -5000 - i))
            for i in range(n)]


def test_duplicated_and_reordered_sequence_numbers_are_dropped_and_counted():
    f = frames(6)
    decoder = StreamDecoder()
    out = decoder.feed(f[0] + f[1] + f[1] + f[3] + f[2] + f[4] + f[5])
    assert [seq for _t, seq, _p in out] == [0, 1, 3, 4, 5]
    assert decoder.stats.duplicates == 2  # the repeated 1 and the late 2
    assert decoder.stats.lost == 1  # 2 was missing when 3 arrived


def test_sequence_numbers_wrap():
    decoder = StreamDecoder()
    out = decoder.feed(b"".join(frames(3, start=0xFFFE)))
    assert len(out) == 3 and decoder.stats.lost == 0 and decoder.stats.duplicates == 0


def test_truncated_and_corrupted_frames_are_counted_not_raised():
    good = frames(3)
    truncated = good[1][:5] + b"\x00"
    flipped = bytearray(good[2])
    flipped[4] ^= 0x10
    decoder = StreamDecoder()
    out = decoder.feed(good[0] + truncated + bytes(flipped))
    assert [seq for _t, seq, _p in out] == [0]
    assert decoder.stats.corrupt == 2


def test_split_anywhere_gives_the_same_frames():
    stream = b"".join(frames(20))
    whole = StreamDecoder().feed(stream)
    rng = random.Random(4)
    decoder = StreamDecoder()
    pieces, i = [], 0
    while i < len(stream):
        j = i + rng.randint(1, 17)
        pieces.extend(decoder.feed(stream[i:j]))
        i = j
    assert pieces == whole


def test_an_endless_frame_is_discarded_with_bounded_memory():
    decoder = StreamDecoder()
    for _ in range(100):
        decoder.feed(b"\x07" * 1000)  # no delimiter, ever
        assert len(decoder.buf) <= MAX_ENCODED
    assert decoder.stats.corrupt >= 1
    after = decoder.feed(b"\x00" + frames(1)[0])
    assert len(after) == 1  # it recovers at the next delimiter


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_decoder_survives_arbitrary_input(chunks):
    decoder = StreamDecoder()
    for chunk in chunks:
        for msg_type, seq, payload in decoder.feed(chunk):
            assert 0 <= msg_type <= 255 and 0 <= seq <= 0xFFFF and isinstance(payload, bytes)
        assert len(decoder.buf) <= MAX_ENCODED


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_streams_lose_only_the_damaged_frames(data):
    original = frames(10)
    damaged = set(data.draw(st.sets(st.integers(0, 9), max_size=4)))
    stream = bytearray()
    for i, frame in enumerate(original):
        if i in damaged:
            body = bytearray(frame[:-1])
            pos = data.draw(st.integers(0, len(body) - 1))
            body[pos] = data.draw(st.integers(1, 255).filter(lambda b, x=body[pos]: b != x))
            frame = bytes(body) + b"\x00"
        stream += frame
    decoder = StreamDecoder()
    got = [seq for _t, seq, _p in decoder.feed(bytes(stream))]
    assert set(got) == set(range(10)) - damaged
    assert decoder.stats.corrupt + decoder.stats.frames == 10


def test_firmware_reader_agrees_with_the_host_decoder():
    rng = random.Random(7)
    stream = bytearray()
    for frame in frames(30):
        stream += frame
        if rng.random() < 0.3:
            stream += bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
    host = [(t, s, p) for t, s, p in StreamDecoder().feed(bytes(stream))]
    firmware = P.FrameReader().feed(bytes(stream))
    assert [f for f in firmware if f in host] == host


def test_fuzz_thirty_thousand_mutated_frames():
    """The million-frame run is benchmarks/fuzz_decoder.py; this is its short form."""
    from benchmarks.fuzz_decoder import fuzz

    r = fuzz(30_000, seed=11)
    assert r["exceptions"] == 0
    assert r["max_buffer"] <= MAX_ENCODED
    intact = r["frames"] - r["mutated"] - r["swallowed"]
    # Every intact frame decodes (a mutation can rarely leave a frame valid, hence the
    # small allowance) ...
    assert intact <= r["good_decoded"] <= intact + r["mutated"] // 500
    # ... and every mutated one is decoded, counted bad, or reported lost.
    assert r["good_decoded"] + r["bad_counted"] >= r["frames"] - r["swallowed"]


@pytest.mark.parametrize("bad", [b"", b"\x01", b"\x02\x00", b"\xff" * 3])
def test_hand_picked_bad_frames(bad):
    decoder = StreamDecoder()
    assert decoder.feed(bad + b"\x00") == []
