"""The importer: a bank's own files validated through a mapping and loaded all or nothing."""
