"""Accounts: organisations that run events (staff accounts and roles come with the staff side)."""
