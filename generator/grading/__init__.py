"""After the build: reading a build's key back, grading typed responses, comparing two builds.

Everything here reads what ``generator.build`` wrote (key.json) and never writes into a build
folder; the answer-reading rule it shares with specs and exports lives in ``generator.responses``.
"""
