"""The web service: Flask app factory. Only this package imports Flask."""

from __future__ import annotations

from flask import Flask

from kg.config import Settings
from kg.services.context import Context

CONTEXT_KEY = "kg.context"


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> Flask:
    """The WSGI app; the store is opened once per process and shared by its threads."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["KG_SETTINGS"] = settings
    app.extensions[CONTEXT_KEY] = context or Context.from_settings(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from kg.web import (
        errors,
        i18n,
        linked_data,
        navigation,
        pages,
        resources,
        search,
        security,
        sparql,
    )

    security.init_app(app, settings)
    app.jinja_env.tests["http_link"] = security.is_http_link
    i18n.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(search.blueprint)
    app.register_blueprint(linked_data.blueprint)
    app.register_blueprint(resources.blueprint)
    app.register_blueprint(sparql.blueprint)
    return app
