"""The demo's command, `flask --app app seed-demo` (each package registers its own commands)."""

from __future__ import annotations

import click
from flask import Flask

from outreach import demo
from outreach.database import db


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete all data and load the demo afresh.")
@click.option("--if-empty", is_flag=True, help="Load only into a database with no places yet.")
def seed_demo_command(reset: bool, if_empty: bool) -> None:
    """Load the Chaoyang District demo data (safe to run again)."""
    if if_empty and not reset and not demo.is_empty():
        click.echo("Database already has data; demo not loaded.")
        return
    report = demo.seed(reset=reset)
    db.session.commit()
    click.echo(report.summary())


def init_app(app: Flask) -> None:
    """Register the demo command."""
    app.cli.add_command(seed_demo_command)
