"""Importing existing BFCL result trees (``farm evaluate``) and exporting scored runs."""
