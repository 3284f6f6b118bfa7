# 5.8 GHz analog video channel tables (MHz), as the RX5808's band switch and every FPV
# receiver label them: bands A, B, E, F (Fatshark / ImmersionRC) and R (Raceband).
TABLES = (
    ("A", (5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725)),
    ("B", (5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866)),
    ("E", (5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945)),
    ("F", (5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880)),
    ("R", (5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917)),
)


def scan_list(names="ABEFR"):
    """Distinct frequencies of the named tables, ascending (F8 and R7 share 5880 MHz)."""
    seen = []
    for name, mhz in TABLES:
        if name in names:
            for f in mhz:
                if f not in seen:
                    seen.append(f)
    seen.sort()
    return seen
