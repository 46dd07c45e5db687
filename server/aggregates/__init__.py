"""HQ aggregates: the query, the maintained count tables and reading them, the charts."""
