"""Files in and out: project files, bundled examples, model export and import."""
