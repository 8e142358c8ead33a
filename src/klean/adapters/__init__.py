"""Adapters around the services: database, HTTP API, web portal, mail, scans, command line."""
