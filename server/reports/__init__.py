"""Reports: the stored document, push and pull, listings and their filters.

Also one report's detail, the GeoJSON export, blob references and retention.
"""
