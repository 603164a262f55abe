"""The cleanup domain: the model and its state machine, pacing, progress, retention, fairness's arithmetic.

Pure: no I/O, no ports. The use cases are in `chalicelib.cleanups.service_layer`.
"""
