"""Attachments: checked uploads, stored under generated names, kept with their original Vietnamese names."""
