"""DVC stage entry points: argv and params.yaml in, files out. All the work is in `benchmark`."""
