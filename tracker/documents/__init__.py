"""A plan as the province issues it: an uploaded document read in the background, reviewed, imported.

Above the plan, progress and reporting (an import makes tasks, their lines and the year's rounds), below
the scheduler that runs the reading job. Readers (readers.py; scan.py for scanned pages) turn a document
into raw rows; proposal.py turns raw rows into corrected, flagged rows; the office reviews them and the
import goes through the same operation as `flask import-appendix`.
"""
