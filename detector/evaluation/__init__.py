"""`detector eval` and `detector replay`: run lens detection on scenarios or recordings
and score it against ground truth."""
