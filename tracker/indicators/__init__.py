"""The plan's numbers: the 19 criteria, headline targets and funding, tracked quarter by quarter."""
