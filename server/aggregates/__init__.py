"""HQ aggregates: the query, the roll-up (read and write), the charts."""
