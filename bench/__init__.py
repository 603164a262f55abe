"""`make bench`: the benchmark rows (`python -m bench`), each module one row; see `bench/__main__.py`."""
