"""The previews package's adapters: what a preview reads of the records package."""
