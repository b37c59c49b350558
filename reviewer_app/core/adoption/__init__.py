"""Adopting Reviewer in a repository: the files ``reviewer-app init`` writes, and the CI recipes.

Plain functions that return text; the CLI decides what to ask and where to write. Nothing here
overwrites a file: ``plan_init`` lists what would be written and refuses when any target exists.
"""
