"""Outbound webhooks: signed JSON POSTs of domain events to CRMs and relays."""
