"""What the operations are built from.

Template source and files, the Copier adapter, answers files, git, the lock, the journal and
the snapshot. Nothing here prints or parses command lines.
"""
