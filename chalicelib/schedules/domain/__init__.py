"""The schedule domain: the model, its validation, cron and relative times, what a run leaves. Pure."""
