"""Wi-Fi traffic from a monitor-mode capture: reading pcap/pcapng files (capture.py),
radiotap and 802.11 headers (headers.py, headers only: docs/wifi.md's privacy rule) and
writing them back (encode.py)."""
