"""Files put on every worker's PYTHONPATH (a package only so that installs ship them)."""
