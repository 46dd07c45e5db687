"""The review workflow: commanders' decisions, the queue (waiting, overdue), conflict resolution."""
