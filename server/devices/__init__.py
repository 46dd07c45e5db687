"""Devices and the people behind them: enrollment, device status, accounts, seeding of people."""
