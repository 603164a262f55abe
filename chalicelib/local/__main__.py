"""`python -m chalicelib.local`: run the local stack until Ctrl-C or SIGTERM."""
from chalicelib.local.stack import main

raise SystemExit(main())
